using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;
using JitVirt.Cpu.Tests.Support;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Cpu.Tests.DataFlow;

public class ControlFlowTests
{
    [Fact]
    public void RealModeCallRetImmAndIndirectCall()
    {
        using var m = new TestMachine();
        var at = m.LoadAndLocate(16, 0x7C00, a =>
        {
            var f = a.CreateLabel(); var g = a.CreateLabel(); var back = a.CreateLabel();
            a.mov(dx, 0xE9);
            a.push(0x1111); a.push(0x2222);
            a.call(f);
            a.Label(ref back);
            a.mov(ax, sp); a.@out(dx, ax);       // FFFE: RET 4 released the two words
            a.mov(bx, 0x600);
            a.mov(__word_ptr[bx], 0);             // patched below with g's address
            a.call(__word_ptr[bx]);
            a.hlt();
            a.Label(ref f);
            a.mov(bx, sp); a.mov(ax, __word_ptr[bx]); a.@out(dx, ax); // the return address
            a.ret(4);
            a.Label(ref g);
            a.mov(al, (byte)'G'); a.@out(dx, al);
            a.ret();
            return new[] { back, g };
        });
        // Replace the 0 stored by "mov word [bx], 0" with g's address: the immediate is the last 2 bytes of that instruction.
        var code = m.Memory.RamSpan(0x7C00, 64);
        int store = code.IndexOf(new byte[] { 0xC7, 0x07, 0x00, 0x00 });
        BitConverter.GetBytes((ushort)at[1]).CopyTo(code[(store + 2)..]);
        m.StartRealMode(0, 0x7C00);
        Assert.Equal(StopReason.Halted, m.Run(1000));
        Assert.Equal(new uint[] { (uint)at[0], 0xFFFE, 'G' }, m.Printed());
        Assert.Equal(0xFFFEul, m.Cpu.Gpr[Gpr.Rsp]);
    }

    [Fact]
    public void JcxzLoopAndLoopne()
    {
        using var m = new TestMachine();
        m.Memory.WriteBytes(0x3000, "abc\0"u8);
        m.Load(16, 0x7C00, a =>
        {
            var l1 = a.CreateLabel(); var l2 = a.CreateLabel(); var l3 = a.CreateLabel(); var l4 = a.CreateLabel();
            a.mov(cx, 0); a.jcxz(l1); a.mov(al, (byte)'X'); a.@out(0xE9, al);
            a.Label(ref l1);
            a.mov(al, (byte)'Y'); a.@out(0xE9, al);
            a.mov(cx, 1); a.jcxz(l2); a.mov(al, (byte)'Z'); a.@out(0xE9, al);
            a.Label(ref l2);
            a.mov(di, 0x900); a.mov(al, (byte)'x'); a.mov(cx, 5);
            a.Label(ref l3);
            a.stosb(); a.loop(l3);
            a.mov(__word_ptr[0x600], cx); a.mov(__word_ptr[0x602], di);
            a.mov(di, 0x3000); a.mov(al, 0); a.mov(cx, 10);
            a.Label(ref l4);
            a.scasb(); a.loopne(l4);
            a.hlt();
        });
        m.StartRealMode(0, 0x7C00);
        Assert.Equal(StopReason.Halted, m.Run(1000));
        Assert.Equal("YZ", m.Console);
        Assert.Equal("xxxxx\0", System.Text.Encoding.ASCII.GetString(m.Memory.RamSpan(0x900, 6)));
        Assert.Equal((ushort)0, m.Word(0x600));
        Assert.Equal((ushort)0x905, m.Word(0x602));
        // SCASB finds the 0 at index 3 on the fourth pass: CX 10 → 6, and LOOPNE falls through on ZF = 1.
        Assert.Equal(6ul, m.Cpu.Gpr[Gpr.Rcx] & 0xFFFF);
        Assert.Equal(0x3004ul, m.Cpu.Gpr[Gpr.Rdi] & 0xFFFF);
    }

    [Fact]
    public void ConditionalJumpsFollowTheFlags()
    {
        using var m = new TestMachine();
        m.Load(16, 0x7C00, a =>
        {
            a.push(0x0041); a.popf(); // ZF = CF = 1, SF = OF = 0
            void Case(Action<Label> jcc)
            {
                var taken = a.CreateLabel(); var done = a.CreateLabel();
                jcc(taken);
                a.mov(al, (byte)'n'); a.@out(0xE9, al); a.jmp(done);
                a.Label(ref taken);
                a.mov(al, (byte)'t'); a.@out(0xE9, al);
                a.Label(ref done);
            }
            Case(l => a.je(l)); Case(l => a.jne(l)); Case(l => a.jb(l)); Case(l => a.ja(l));
            Case(l => a.jl(l)); Case(l => a.jle(l)); Case(l => a.jp(l)); Case(l => a.jns(l));
            a.hlt();
        });
        m.StartRealMode(0, 0x7C00);
        Assert.Equal(StopReason.Halted, m.Run(1000));
        // E t, NE n, B t, A (CF=0 and ZF=0) n, L (SF≠OF) n, LE (ZF or SF≠OF) t, P (PF=0) n, NS t.
        Assert.Equal("tntnntnt", m.Console);
    }

    [Fact]
    public void LoopWithSixteenBitAddressSizeUsesCxIn32BitCode()
    {
        using var m = new TestMachine();
        m.Memory.WriteBytes(0x1000, new byte[] { 0x67, 0xE2, 0xFD }); // a32→a16 LOOP to itself
        m.EnterProtected32(0x1000, 0x8000);
        m.Cpu.Gpr[Gpr.Rcx] = 0x1_0000; // CX = 0: decrements to FFFF, branch taken, bits above 15 kept
        Assert.True(m.Step());
        Assert.Equal(0x1_FFFFul, m.Cpu.Gpr[Gpr.Rcx]);
        Assert.Equal(0x1000ul, m.Cpu.Rip);
    }

    [Fact]
    public void NearJumpBeyondCsLimitIsGeneralProtection()
    {
        using var m = new TestMachine();
        m.Load(32, 0x1000, a => a.jmp(eax));
        m.EnterProtected32(0x1000, 0x8000);
        m.Cpu.Segments[SegmentIndex.Cs].Limit = 0xFFFF;
        m.Cpu.Gpr[Gpr.Rax] = 0x1_0000;
        Assert.False(m.Step());
        m.AssertFault(ExceptionVector.GeneralProtection, 0);
        Assert.Equal(0x1000ul, m.Cpu.Rip);
        m.Cpu.Gpr[Gpr.Rax] = 0xFFFF;
        Assert.True(m.Step());
        Assert.Equal(0xFFFFul, m.Cpu.Rip);
    }

    [Fact]
    public void SixtyFourBitCallRetAndNonCanonicalTargets()
    {
        using var m = new TestMachine();
        var at = m.LoadAndLocate(64, 0x10000, a =>
        {
            var f = a.CreateLabel(); var back = a.CreateLabel();
            a.call(f);
            a.Label(ref back);
            a.hlt();
            a.Label(ref f);
            a.mov(rax, __qword_ptr[rsp]);
            a.ret();
            return new[] { back };
        });
        m.EnterLong64(0x10000, 0x8000);
        Assert.Equal(StopReason.Halted, m.Run(100));
        Assert.Equal(at[0], m.Cpu.Gpr[Gpr.Rax]);
        Assert.Equal(0x8000ul, m.Cpu.Gpr[Gpr.Rsp]);

        m.Load(64, 0x11000, a => { a.jmp(rax); a.ret(); });
        m.EnterLong64(0x11000, 0x8000);
        m.Cpu.Gpr[Gpr.Rax] = 0x0000_8000_0000_0000;
        Assert.False(m.Step());
        m.AssertFault(ExceptionVector.GeneralProtection, 0);
        m.Cpu.Rip = 0x11002; // the RET
        m.Memory.WriteBytes(0x7FF8, BitConverter.GetBytes(0xFFFF_7FFF_FFFF_F000ul));
        m.Cpu.Gpr[Gpr.Rsp] = 0x7FF8;
        Assert.False(m.Step());
        m.AssertFault(ExceptionVector.GeneralProtection, 0);
        Assert.Equal(0x7FF8ul, m.Cpu.Gpr[Gpr.Rsp]);
    }
}
