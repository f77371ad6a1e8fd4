using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;
using JitVirt.Cpu.Tests.Support;
using Xunit;

namespace JitVirt.Cpu.Tests;

/// <summary>Checks of the executor core that do not depend on any instruction family.</summary>
public class CoreSmokeTests
{
    [Fact]
    public void ResetStateMatchesSdmTable10_1()
    {
        using var m = new TestMachine();
        var cpu = m.Cpu;
        Assert.Equal(0xFFF0ul, cpu.Rip);
        Assert.Equal((ushort)0xF000, cpu.Segments[SegmentIndex.Cs].Selector);
        Assert.Equal(0xFFFF0000ul, cpu.Segments[SegmentIndex.Cs].Base);
        Assert.Equal(0x60000010ul, cpu.Cr0);
        Assert.Equal(2ul, cpu.GetRflags());
        Assert.Equal(OperatingMode.Real, cpu.Mode);
    }

    [Fact]
    public void LazyFlagsFollowSdmDefinitions()
    {
        using var m = new TestMachine();
        var cpu = m.Cpu;
        // 0x7F + 1 = 0x80: OF (signed overflow), SF, AF (carry out of bit 3), no CF, PF=0 (0x80 has one bit set).
        cpu.SetFlagsAdd<byte>(0x7F, 1, 0x80);
        ulong f = cpu.GetRflags();
        Assert.Equal(Rflags.OF | Rflags.SF | Rflags.AF | Rflags.Reserved1, f & (Rflags.Arithmetic | Rflags.Reserved1));
        // 0 - 1 = 0xFFFF (16-bit): CF (borrow), SF, AF, PF (0xFF has eight bits set), no OF.
        cpu.SetFlagsSub<ushort>(0, 1, 0xFFFF);
        f = cpu.GetRflags();
        Assert.Equal(Rflags.CF | Rflags.SF | Rflags.AF | Rflags.PF, f & Rflags.Arithmetic);
        // INC keeps CF: set CF, then INC 0xFFFFFFFF → 0 with ZF, AF, PF, CF still 1.
        cpu.SetArithmeticFlags(Rflags.CF, Rflags.CF);
        cpu.SetFlagsInc<uint>(0xFFFF_FFFF, 0);
        f = cpu.GetRflags();
        Assert.Equal(Rflags.CF | Rflags.ZF | Rflags.AF | Rflags.PF, f & Rflags.Arithmetic);
    }

    /// <summary>
    /// INC/DEC after a lazy record: CF is the record's (SDM vol.2 INC/DEC: CF not affected), the
    /// other five come from the INC/DEC itself, whatever stale bits the static flags still hold.
    /// </summary>
    [Fact]
    public void IncDecAfterALazyRecordKeepItsCarryOnly()
    {
        using var m = new TestMachine();
        var cpu = m.Cpu;
        // 0 − 1 (8-bit) borrows: CF=1, then DEC 1 → 0: ZF, PF (0 has zero bits set), no AF, CF still 1.
        cpu.SetFlagsSub<byte>(0, 1, 0xFF);
        cpu.SetFlagsDec<uint>(1, 0);
        Assert.Equal(Rflags.CF | Rflags.ZF | Rflags.PF, cpu.GetRflags() & Rflags.Arithmetic);
        // Every static flag set, then a logic record (CF=0 by definition), then INC 0x7F → 0x80 (8-bit): OF SF AF, CF 0.
        cpu.SetArithmeticFlags(Rflags.Arithmetic, Rflags.Arithmetic);
        cpu.SetFlagsLogic<ulong>(1);
        cpu.SetFlagsInc<byte>(0x7F, 0x80);
        Assert.Equal(Rflags.OF | Rflags.SF | Rflags.AF, cpu.GetRflags() & Rflags.Arithmetic);
        // 0xFF + 1 (8-bit) carries; INC then DEC keep that CF through two records.
        cpu.SetFlagsAdd<byte>(0xFF, 1, 0);
        cpu.SetFlagsInc<ushort>(5, 6);
        cpu.SetFlagsDec<ushort>(6, 5);
        Assert.Equal(Rflags.CF | Rflags.PF, cpu.GetRflags() & Rflags.Arithmetic);
    }

    [Fact]
    public void UndecodableBytesRaiseInvalidOpcodeThroughTheRealModeIvt()
    {
        using var m = new TestMachine();
        // IVT[6] → 0000:0500, where a HLT waits. The guest executes 0F 0B (UD2).
        m.Memory.WriteBytes(6 * 4, new byte[] { 0x00, 0x05, 0x00, 0x00 });
        m.Memory.WriteBytes(0x500, new byte[] { 0xF4 });
        m.Memory.WriteBytes(0x7C00, new byte[] { 0x0F, 0x0B });
        m.StartRealMode(0, 0x7C00);
        var stop = m.Run(100);
        Assert.Equal(StopReason.Halted, stop);
        Assert.Equal(0x501ul, m.Cpu.Rip);
        // The pushed IP is the faulting instruction's (a fault, SDM vol.3 §7.5).
        Assert.Equal((ushort)0x7C00, BitConverter.ToUInt16(m.Memory.RamSpan(0xFFFE - 6, 2)));
    }
}
