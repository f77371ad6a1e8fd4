using JitVirt.Cpu.State;
using JitVirt.Cpu.Tests.Support;
using JitVirt.Frontend;
using Xunit;

namespace JitVirt.Cpu.Tests.Segments;

/// <summary>IRET/IRETD/IRETQ (SDM vol.2 IRET; vol.3 §6.14.3, §20.3).</summary>
public class IretTests
{
    const byte GP = ExceptionVector.GeneralProtection;

    static void PushFrame32(SegmentsMachine s, ulong at, params uint[] values)
    {
        for (int k = 0; k < values.Length; k++) s.Write32(at + (ulong)(4 * k), values[k]);
    }

    [Fact]
    public void RealModeIretPopsIpCsAndFlags()
    {
        using var s = new SegmentsMachine();
        s.M.Memory.WriteBytes(0x7C00, [0xCF]); // iret
        s.M.StartRealMode(0, 0x7C00);
        s.Cpu.Gpr[State.Gpr.Rsp] = 0xFFF0;
        s.Write16(0xFFF0, 0x1234);
        s.Write16(0xFFF2, 0x2000);
        s.Write16(0xFFF4, 0x0203); // IF | CF
        s.Steps(1);
        Assert.Equal(0x20000ul, s.Cpu.Segments[SegmentIndex.Cs].Base);
        Assert.Equal(0x1234ul, s.Cpu.Rip);
        Assert.Equal(0xFFF6ul, s.Cpu.Gpr[State.Gpr.Rsp]);
        Assert.Equal(0x203ul, s.Cpu.GetRflags());
    }

    [Fact]
    public void SamePrivilegeIretAtCpl3CannotChangeIfOrIopl()
    {
        using var s = new SegmentsMachine();
        s.M.Memory.WriteBytes(0x11000, [0xCF]); // iretd
        s.EnterProtected(SegmentsMachine.Code3, SegmentsMachine.Data3, 0x11000, esp: 0x8000);
        PushFrame32(s, 0x8000, 0x11100, 0x1B, (uint)(Rflags.IF | Rflags.IoplMask | Rflags.CF | Rflags.Reserved1));
        s.Steps(1);
        ulong f = s.Cpu.GetRflags();
        Assert.Equal(Rflags.CF | Rflags.Reserved1, f); // CF taken; IF (CPL 3 > IOPL 0) and IOPL (CPL ≠ 0) kept
        Assert.Equal(0x11100ul, s.Cpu.Rip);
        Assert.Equal(0x800Cul, s.Cpu.Gpr[State.Gpr.Rsp]);
    }

    [Fact]
    public void IretToOuterPrivilegeLoadsSsEspAndNullsPrivilegedDataSegments()
    {
        using var s = new SegmentsMachine();
        s.M.Memory.WriteBytes(0x10000, [0xCF]);
        s.EnterProtected(esp: 0x7000);
        s.Force(SegmentIndex.Gs, SegmentsMachine.Data3);
        PushFrame32(s, 0x7000, 0x11000, 0x1B, 0x202, 0x9000, 0x23);
        s.Steps(1);
        var cpu = s.Cpu;
        Assert.Equal(3, cpu.Cpl);
        Assert.Equal(0x9000ul, cpu.Gpr[State.Gpr.Rsp]);
        Assert.Equal((ushort)0x23, cpu.Segments[SegmentIndex.Ss].Selector);
        Assert.True(cpu.InterruptFlag);                          // CPL 0 ≤ IOPL 0 when IRET began
        Assert.False(cpu.Segments[SegmentIndex.Ds].IsUsable);    // DPL 0 < CPL 3
        Assert.Equal((ushort)0, cpu.Segments[SegmentIndex.Ds].Selector);
        Assert.True(cpu.Segments[SegmentIndex.Gs].IsUsable);     // DPL 3 stays
    }

    [Fact]
    public void IretWithReturnCsRplBelowCplIsGp()
    {
        using var s = new SegmentsMachine();
        s.M.Memory.WriteBytes(0x11000, [0xCF]);
        s.EnterProtected(SegmentsMachine.Code3, SegmentsMachine.Data3, 0x11000, esp: 0x8000);
        PushFrame32(s, 0x8000, 0x10000, 0x08, 0x2);
        Assert.False(s.Step());
        s.AssertFault(GP, 0x08);
        Assert.Equal(0x8000ul, s.Cpu.Gpr[State.Gpr.Rsp]);
    }

    [Fact]
    public void IretToV86AndV86IretRules()
    {
        using var s = new SegmentsMachine();
        s.M.Memory.WriteBytes(0x10000, [0xCF]);  // iretd at CPL 0
        s.M.Memory.WriteBytes(0x20100, [0xCF]);  // iret in the V86 task (16-bit)
        s.EnterProtected(esp: 0x7000);
        PushFrame32(s, 0x7000, 0x0100, 0x2000, (uint)(Rflags.VM | Rflags.IF | Rflags.Reserved1), 0xFFF0, 0x3000, 0x4000, 0x5000, 0x6000, 0x7000);
        s.Steps(1);
        var cpu = s.Cpu;
        Assert.Equal(OperatingMode.Virtual8086, cpu.Mode);
        Assert.Equal(3, cpu.Cpl);
        Assert.Equal(CodeMode.Bits16, cpu.CodeMode);
        Assert.Equal(0x100ul, cpu.Rip);
        Assert.Equal(0xFFF0ul, cpu.Gpr[State.Gpr.Rsp]);
        Assert.Equal(0x20000ul, cpu.Segments[SegmentIndex.Cs].Base);
        Assert.Equal(0x30000ul, cpu.Segments[SegmentIndex.Ss].Base);
        Assert.Equal(0x40000ul, cpu.Segments[SegmentIndex.Es].Base);
        Assert.Equal(0x50000ul, cpu.Segments[SegmentIndex.Ds].Base);
        Assert.Equal(0x60000ul, cpu.Segments[SegmentIndex.Fs].Base);
        Assert.Equal(0x70000ul, cpu.Segments[SegmentIndex.Gs].Base);
        Assert.Equal(0xFFFFu, cpu.Segments[SegmentIndex.Ss].Limit);

        // IOPL 0 in V86: IRET is #GP(0) (CR4.VME not modelled).
        Assert.False(s.Step());
        s.AssertFault(GP, 0);

        // IOPL 3: a 16-bit IRET pops IP, CS, FLAGS but cannot change IOPL; VM stays.
        cpu.SetRflags(cpu.GetRflags() | Rflags.IoplMask);
        s.Write16(0x3FFF0, 0x0200);
        s.Write16(0x3FFF2, 0x2100);
        s.Write16(0x3FFF4, 0x0001); // CF, IOPL 0, IF 0
        s.Steps(1);
        Assert.Equal(OperatingMode.Virtual8086, cpu.Mode);
        Assert.Equal(0x21000ul, cpu.Segments[SegmentIndex.Cs].Base);
        Assert.Equal(0x200ul, cpu.Rip);
        Assert.Equal(3, cpu.Iopl);
        Assert.False(cpu.InterruptFlag);
        Assert.True(cpu.GetCarryFlag());
        Assert.Equal(0xFFF6ul, cpu.Gpr[State.Gpr.Rsp]);
    }

    [Fact]
    public void IretqInSixtyFourBitModeAlwaysPopsSsRsp()
    {
        using var s = new SegmentsMachine();
        s.M.Memory.WriteBytes(0x10000, [0x48, 0xCF]); // iretq
        s.EnterLong64(rsp: 0x7000);
        s.Write64(0x7000, 0x10200);
        s.Write64(0x7008, SegmentsMachine.Code64);
        s.Write64(0x7010, 0x202);
        s.Write64(0x7018, 0x6000);
        s.Write64(0x7020, SegmentsMachine.Data0);
        s.Steps(1);
        Assert.Equal(0x10200ul, s.Cpu.Rip);
        Assert.Equal(0x6000ul, s.Cpu.Gpr[State.Gpr.Rsp]);
        Assert.True(s.Cpu.InterruptFlag);
        Assert.Equal(OperatingMode.Long64, s.Cpu.Mode);
    }
}
