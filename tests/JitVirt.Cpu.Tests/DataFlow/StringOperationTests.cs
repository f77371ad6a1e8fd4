using System.Text;
using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Semantics;
using JitVirt.Cpu.State;
using JitVirt.Cpu.Tests.Support;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Cpu.Tests.DataFlow;

public class StringOperationTests
{
    [Fact]
    public void RepMovsbForwardAndBackward()
    {
        using var m = new TestMachine();
        m.Memory.WriteBytes(0x1000, "HELLO"u8);
        m.Load(16, 0x7C00, a =>
        {
            a.mov(dx, 0xE9);
            a.mov(si, 0x1000); a.mov(di, 0x2000); a.mov(cx, 5);
            a.rep.movsb();
            a.mov(ax, si); a.@out(dx, ax);
            a.mov(ax, di); a.@out(dx, ax);
            a.mov(ax, cx); a.@out(dx, ax);
            a.push(0x0402); a.popf();            // DF = 1
            a.mov(si, 0x1004); a.mov(di, 0x2104); a.mov(cx, 5);
            a.rep.movsb();
            a.mov(ax, si); a.@out(dx, ax);
            a.mov(ax, di); a.@out(dx, ax);
            a.hlt();
        });
        m.StartRealMode(0, 0x7C00);
        Assert.Equal(StopReason.Halted, m.Run(1000));
        Assert.Equal(new uint[] { 0x1005, 0x2005, 0, 0x0FFF, 0x20FF }, m.Printed());
        Assert.Equal("HELLO", Encoding.ASCII.GetString(m.Memory.RamSpan(0x2000, 5)));
        Assert.Equal("HELLO", Encoding.ASCII.GetString(m.Memory.RamSpan(0x2100, 5)));
        Assert.Equal(0, m.Memory.ReadByte(0x2005));
        Assert.Equal(0, m.Memory.ReadByte(0x20FF));
    }

    [Fact]
    public void RepStosdForwardAndBackwardIn32BitCode()
    {
        using var m = new TestMachine();
        m.Load(32, 0x1000, a =>
        {
            a.mov(eax, 0xDEAD_BEEF); a.mov(edi, 0x3000); a.mov(ecx, 4);
            a.rep.stosd();
            a.mov(ebx, edi);
            a.push(0x402); a.popfd();
            a.mov(eax, 0x1122_3344); a.mov(edi, 0x301C); a.mov(ecx, 3);
            a.rep.stosd();
            a.hlt();
        });
        m.EnterProtected32(0x1000, 0x8000);
        Assert.Equal(StopReason.Halted, m.Run(1000));
        for (ulong k = 0; k < 4; k++) Assert.Equal(0xDEAD_BEEFu, m.Dword(0x3000 + 4 * k));
        Assert.Equal(0u, m.Dword(0x3010));
        for (ulong k = 0; k < 3; k++) Assert.Equal(0x1122_3344u, m.Dword(0x3014 + 4 * k));
        Assert.Equal(0x3010ul, m.Cpu.Gpr[Gpr.Rbx]);
        Assert.Equal(0x3010ul, m.Cpu.Gpr[Gpr.Rdi]); // 301C − 3×4
        Assert.Equal(0ul, m.Cpu.Gpr[Gpr.Rcx]);
    }

    [Fact]
    public void RepeCmpsbStopsAtTheFirstDifference_RepneScasbAtTheMatch()
    {
        using var m = new TestMachine();
        m.Memory.WriteBytes(0x1000, "ABCDX"u8);
        m.Memory.WriteBytes(0x2000, "ABCEX"u8);
        m.Memory.WriteBytes(0x3000, "abc\0"u8);
        m.Load(16, 0x7C00, a =>
        {
            a.mov(si, 0x1000); a.mov(di, 0x2000); a.mov(cx, 5);
            a.repe.cmpsb();
            a.mov(__word_ptr[0x600], cx); a.mov(__word_ptr[0x602], si); a.mov(__word_ptr[0x604], di);
            a.pushf(); a.pop(__word_ptr[0x606]);
            a.mov(di, 0x3000); a.mov(al, 0); a.mov(cx, 0xFFFF);
            a.repne.scasb();
            a.hlt();
        });
        m.StartRealMode(0, 0x7C00);
        Assert.Equal(StopReason.Halted, m.Run(1000));
        // Fourth comparison 'D' − 'E' = FF differs: CX 5 → 1, SI/DI past it; CF (borrow), SF, AF, PF (FF has 8 bits).
        Assert.Equal((ushort)1, m.Word(0x600));
        Assert.Equal((ushort)0x1004, m.Word(0x602));
        Assert.Equal((ushort)0x2004, m.Word(0x604));
        Assert.Equal((ushort)(Rflags.CF | Rflags.SF | Rflags.AF | Rflags.PF), (ushort)(m.Word(0x606) & (ushort)Rflags.Arithmetic));
        // The terminator is the fourth byte: four iterations, ZF = 1.
        Assert.Equal(0xFFFBul, m.Cpu.Gpr[Gpr.Rcx] & 0xFFFF);
        Assert.Equal(0x3004ul, m.Cpu.Gpr[Gpr.Rdi] & 0xFFFF);
        Assert.True(m.Cpu.GetZeroFlag());
    }

    [Fact]
    public void RepStosdFaultMidwayLeavesRegistersAtTheFaultingIteration()
    {
        using var m = new TestMachine();
        m.Load(32, 0x5000, a => a.rep.stosd());
        m.EnterProtected32(0x5000, 0x8000);
        m.Cpu.Segments[SegmentIndex.Es].Limit = 0x100F;
        m.Cpu.Segments[SegmentIndex.Es].AccessRights &= ~SegmentRegister.Granularity;
        m.Cpu.Gpr[Gpr.Rax] = 0x55AA_55AA;
        m.Cpu.Gpr[Gpr.Rdi] = 0x1000;
        m.Cpu.Gpr[Gpr.Rcx] = 10;
        Assert.False(m.Step());
        // Iterations at 1000, 1004, 1008, 100C fit; 1010..1013 is beyond the limit: #GP(0) (SDM vol.3 §6.3).
        m.AssertFault(ExceptionVector.GeneralProtection, 0);
        Assert.Equal(6ul, m.Cpu.Gpr[Gpr.Rcx]);
        Assert.Equal(0x1010ul, m.Cpu.Gpr[Gpr.Rdi]);
        Assert.Equal(0x5000ul, m.Cpu.Rip);
        Assert.Equal(0x55AA_55AAu, m.Dword(0x100C));
        Assert.Equal(0u, m.Dword(0x1010));
    }

    [Fact]
    public void RealModeRepMovswFaultsOnTheWordAtFfffAndRestartsThere()
    {
        using var m = new TestMachine();
        m.Memory.WriteBytes(13 * 4, new byte[] { 0x00, 0x05, 0x00, 0x00 }); // IVT[13] → 0000:0500
        m.Memory.WriteBytes(0x500, new byte[] { 0xF4 });
        var at = m.LoadAndLocate(16, 0x7C00, a =>
        {
            var rep = a.CreateLabel();
            a.mov(si, 0); a.mov(di, 0xFFFB); a.mov(cx, 4);
            a.Label(ref rep);
            a.rep.movsw();
            a.hlt();
            return new[] { rep };
        });
        m.StartRealMode(0, 0x7C00);
        m.Cpu.Gpr[Gpr.Rsp] = 0x9000;
        Assert.Equal(StopReason.Halted, m.Run(1000));
        Assert.Equal(0x501ul, m.Cpu.Rip);
        // Words to FFFB and FFFD were copied; the one at FFFF would cross the 64 KiB limit.
        Assert.Equal(2ul, m.Cpu.Gpr[Gpr.Rcx] & 0xFFFF);
        Assert.Equal(0xFFFFul, m.Cpu.Gpr[Gpr.Rdi] & 0xFFFF);
        Assert.Equal(4ul, m.Cpu.Gpr[Gpr.Rsi] & 0xFFFF);
        Assert.Equal((ushort)at[0], m.Word(0x9000 - 6)); // the saved IP is the REP MOVSW itself
    }

    [Fact]
    public void LongRepStosbYieldsAndResumesToCompletion()
    {
        using var m = new TestMachine();
        m.Load(16, 0x7C00, a => { a.mov(di, 0x1000); a.mov(al, 0x5A); a.mov(cx, 10000); a.rep.stosb(); a.hlt(); });
        m.StartRealMode(0, 0x7C00);
        Assert.Equal(StopReason.Halted, m.Run(1000));
        Assert.Equal(0ul, m.Cpu.Gpr[Gpr.Rcx] & 0xFFFF);
        Assert.Equal(0x1000ul + 10000, m.Cpu.Gpr[Gpr.Rdi] & 0xFFFF);
        Assert.True(m.Memory.RamSpan(0x1000, 10000).ToArray().All(b => b == 0x5A));
        Assert.Equal(0, m.Memory.ReadByte(0x1000 + 10000));
        const int slice = StringOperations.IterationsPerSlice;
        Assert.Equal(3 + (10000 + slice - 1) / slice + 1, m.Cpu.InstructionsRetired);
    }

    [Fact]
    public void RepOutsbAndRepInsw()
    {
        using var m = new TestMachine();
        m.Ports.ReadValues[0x60] = 0xBEEF;
        m.Memory.WriteBytes(0x1000, "Hi"u8);
        m.Load(16, 0x7C00, a =>
        {
            a.mov(si, 0x1000); a.mov(cx, 2); a.mov(dx, 0xE9);
            a.rep.outsb();
            a.mov(di, 0x2000); a.mov(cx, 2); a.mov(dx, 0x60);
            a.rep.insw();
            a.hlt();
        });
        m.StartRealMode(0, 0x7C00);
        Assert.Equal(StopReason.Halted, m.Run(1000));
        Assert.Equal("Hi", m.Console);
        Assert.Equal((ushort)0xBEEF, m.Word(0x2000));
        Assert.Equal((ushort)0xBEEF, m.Word(0x2002));
        Assert.Equal(0x2004ul, m.Cpu.Gpr[Gpr.Rdi] & 0xFFFF);
    }

    [Fact]
    public void SegmentOverrideAppliesToTheSourceOnly()
    {
        using var m = new TestMachine();
        m.Memory.WriteBytes(0x10, new byte[] { 0x11 });
        m.Memory.WriteBytes(0x1010, new byte[] { 0x99 });
        m.Memory.WriteBytes(0x7C00, new byte[] { 0x64, 0xA4 }); // FS: MOVSB
        m.StartRealMode(0, 0x7C00);
        m.Cpu.LoadRealModeSegment(SegmentIndex.Fs, 0x100);
        m.Cpu.Gpr[Gpr.Rsi] = 0x10;
        m.Cpu.Gpr[Gpr.Rdi] = 0x20;
        Assert.True(m.Step());
        Assert.Equal(0x99, m.Memory.ReadByte(0x20));
        Assert.Equal(0x11ul, m.Cpu.Gpr[Gpr.Rsi]);
    }

    [Fact]
    public void ThirtyTwoBitAddressSizeIn64BitModeZeroExtendsRdi()
    {
        using var m = new TestMachine();
        m.Memory.WriteBytes(0x10000, new byte[] { 0x67, 0xAA }); // STOSB with a 32-bit address size
        m.EnterLong64(0x10000, 0x8000);
        m.Cpu.Gpr[Gpr.Rax] = 0x42;
        m.Cpu.Gpr[Gpr.Rdi] = 0x1_0000_2000;
        Assert.True(m.Step());
        Assert.Equal(0x42, m.Memory.ReadByte(0x2000));
        Assert.Equal(0x2001ul, m.Cpu.Gpr[Gpr.Rdi]);
    }
}
