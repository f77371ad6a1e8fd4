using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;
using JitVirt.Cpu.Tests.Support;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Cpu.Tests.DataFlow;

public class DataTransferTests
{
    [Fact]
    public void RealModeMovLeaXlatAndSegmentMoves()
    {
        using var m = new TestMachine();
        m.Memory.WriteBytes(0x705, new byte[] { 0xAB });
        m.Load(16, 0x7C00, a =>
        {
            a.mov(dx, 0xE9);
            a.mov(ax, 0x1234);
            a.mov(__word_ptr[0x600], ax);       // moffs16 form
            a.mov(bx, __word_ptr[0x600]);
            a.mov(ax, bx);
            a.@out(dx, ax);                      // 1234
            a.mov(di, 2);
            a.lea(si, __[bx + di + 0x10]);       // 1234 + 2 + 10 = 1246
            a.mov(ax, si);
            a.@out(dx, ax);
            a.mov(bx, 0x700);
            a.mov(al, 5);
            a.xlatb();                           // AL = [DS:0x705] = AB
            a.@out(dx, al);
            a.mov(ax, 0x50);
            a.mov(es, ax);
            a.mov(cx, es);
            a.mov(__byte_ptr.es[0x10], (byte)0x77);    // linear 0x510
            a.mov(__word_ptr[0x620], es);        // MOV m16, Sreg
            a.mov(ax, cx);
            a.@out(dx, ax);                      // 0050
            a.mov(__dword_ptr[0x630], 0x5678_1234); // LDS source: offset 1234, selector 5678
            a.lds(si, __dword_ptr[0x630]);
            a.mov(ax, ds);
            a.@out(dx, ax);                      // 5678
            a.mov(ax, si);
            a.@out(dx, ax);                      // 1234
            a.hlt();
        });
        m.StartRealMode(0, 0x7C00);
        Assert.Equal(StopReason.Halted, m.Run(1000));
        Assert.Equal(new uint[] { 0x1234, 0x1246, 0xAB, 0x0050, 0x5678, 0x1234 }, m.Printed());
        Assert.Equal(0x77, m.Memory.ReadByte(0x510));
        Assert.Equal((ushort)0x50, m.Word(0x620));
        Assert.Equal(0x56780ul, m.Cpu.Segments[SegmentIndex.Ds].Base);
    }

    [Fact]
    public void SixtyFourBitMovWidthsExtendAsTheSdmSays()
    {
        using var m = new TestMachine();
        m.Load(64, 0x10000, a =>
        {
            a.mov(rax, 0x1122_3344_5566_7788);
            a.mov(__qword_ptr[0x2000], rax);
            a.mov(rbx, rax);
            a.mov(ebx, 0xFFFF_FFFF);             // 32-bit write zero-extends
            a.mov(rcx, rax);
            a.mov(cx, 0xBEEF);                   // 16-bit write merges
            a.mov(rdx, rax);
            a.mov(dh, 0x99);                     // high-byte write
            a.mov(__qword_ptr[0x2008], -2);      // imm32 sign-extended to 64
            a.mov(r9, __qword_ptr[0x2000]);
            a.mov(r10d, fs);                     // MOV r32, Sreg: zero-extended selector
            var after = a.CreateLabel();
            a.lea(r11, __[after]);               // RIP-relative
            a.hlt();
            a.Label(ref after);
            a.nop();
        });
        m.EnterLong64(0x10000, 0x8000);
        m.Cpu.Gpr[Gpr.R10] = ulong.MaxValue;
        Assert.Equal(StopReason.Halted, m.Run(1000));
        var g = m.Cpu.Gpr;
        Assert.Equal(0x1122_3344_5566_7788ul, m.Qword(0x2000));
        Assert.Equal(0xFFFF_FFFFul, g[Gpr.Rbx]);
        Assert.Equal(0x1122_3344_5566_BEEFul, g[Gpr.Rcx]);
        Assert.Equal(0x1122_3344_5566_9988ul, g[Gpr.Rdx]);
        Assert.Equal(0xFFFF_FFFF_FFFF_FFFEul, m.Qword(0x2008));
        Assert.Equal(0x1122_3344_5566_7788ul, g[Gpr.R9]);
        Assert.Equal(0x10ul, g[Gpr.R10]);
        // The label follows HLT, where RIP stops.
        Assert.Equal(m.Cpu.Rip, g[Gpr.R11]);
    }

    [Fact]
    public void MovToSsBlocksInterruptsAndMovToCsIsInvalid()
    {
        using var m = new TestMachine();
        m.Load(16, 0x7C00, a => { a.mov(ss, ax); a.db(0x8E, 0xC8); }); // 8E C8 = MOV CS, AX
        m.StartRealMode(0, 0x7C00);
        m.Cpu.Gpr[Gpr.Rax] = 0x2000;
        Assert.True(m.Step());
        Assert.True(m.Cpu.InterruptShadow);
        Assert.Equal(0x20000ul, m.Cpu.Segments[SegmentIndex.Ss].Base);
        Assert.False(m.Step());
        m.AssertFault(ExceptionVector.InvalidOpcode);
        Assert.Equal(0ul, m.Cpu.Segments[SegmentIndex.Cs].Base);
    }

    [Fact]
    public void CetHintsAreNopsWithoutCet()
    {
        // F3 0F 1E FA (ENDBR64), F3 0F 1E FB (ENDBR32), F3 [REX.W] 0F 1E /1 (RDSSPD/Q): reserved NOPs on a
        // processor without CET (SDM vol.2 ENDBR64, RDSSPD/RDSSPQ), so the register RDSSP names keeps its value.
        using var m = new TestMachine();
        m.Load(64, 0x10000, a => { a.endbr64(); a.endbr32(); a.rdsspq(rax); a.rdsspd(ecx); a.hlt(); });
        m.EnterLong64(0x10000, 0x8000);
        m.Cpu.Gpr[Gpr.Rax] = 0x1122_3344_5566_7788;
        m.Cpu.Gpr[Gpr.Rcx] = 0xFFFF_FFFF_0000_0001;
        Assert.Equal(StopReason.Halted, m.Run(100));
        Assert.Equal(0x1122_3344_5566_7788ul, m.Cpu.Gpr[Gpr.Rax]);
        Assert.Equal(0xFFFF_FFFF_0000_0001ul, m.Cpu.Gpr[Gpr.Rcx]); // not even the 32-bit write's zero-extension
        Assert.Equal(0x10000ul + 4 + 4 + 5 + 4 + 1, m.Cpu.Rip); // after the HLT: 4 + 4 + 5 (REX.W) + 4 + 1 bytes
        Assert.Empty(m.Cpu.UnimplementedInstructions);
    }

    [Fact]
    public void UdForms_AndMultiByteNop()
    {
        using var m = new TestMachine();
        m.Load(32, 0x1000, a => { a.nop(__dword_ptr[eax + eax + 0x7FFF_0000]); a.pause(); a.ud2(); });
        m.EnterProtected32(0x1000, 0x8000);
        m.Cpu.Gpr[Gpr.Rax] = 0x4000_0000; // the NOP's operand would be far outside RAM: it must not be accessed
        Assert.True(m.Step());
        Assert.True(m.Step());
        Assert.False(m.Step());
        m.AssertFault(ExceptionVector.InvalidOpcode);
        Assert.Empty(m.Cpu.UnimplementedInstructions);
    }
}
