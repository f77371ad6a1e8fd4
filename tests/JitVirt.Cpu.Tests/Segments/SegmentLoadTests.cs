using JitVirt.Cpu.State;
using JitVirt.Cpu.Tests.Support;
using Xunit;

namespace JitVirt.Cpu.Tests.Segments;

/// <summary>Cpu.LoadSegmentRegister against SDM vol.2 MOV (segment register forms) and vol.3 §5.5-§5.6.</summary>
public class SegmentLoadTests
{
    const byte GP = ExceptionVector.GeneralProtection, NP = ExceptionVector.SegmentNotPresent, SS = ExceptionVector.StackFault;

    [Fact]
    public void DataSegmentLoadFillsTheCacheAndSetsTheAccessedBit()
    {
        using var s = new SegmentsMachine();
        // base 0x00123456, limit 0x1FFF bytes, read/write (type 2, not accessed), DPL 0.
        s.SetGdt(9, Desc.Segment(0x0012_3456, 0x1FFF, 0x2, 0));
        s.EnterProtected();
        Assert.True(s.Cpu.LoadSegmentRegister(SegmentIndex.Es, 0x48));
        var es = s.Cpu.Segments[SegmentIndex.Es];
        Assert.Equal((ushort)0x48, es.Selector);
        Assert.Equal(0x123456ul, es.Base);
        Assert.Equal(0x1FFFu, es.Limit);
        Assert.Equal(0x4093u, es.AccessRights); // D/B, P, S, type 3 (accessed)
        Assert.NotEqual(0ul, s.Gdt(9) & (1ul << 40)); // accessed bit written back to the GDT
    }

    [Fact]
    public void SelectorBeyondGdtLimitIsGpWithTheSelectorWithoutRpl()
    {
        using var s = new SegmentsMachine();
        s.EnterProtected();
        s.Cpu.Gdtr.Limit = 0x3F; // entries 0-7
        var before = s.Cpu.Segments[SegmentIndex.Ds];
        Assert.False(s.Cpu.LoadSegmentRegister(SegmentIndex.Ds, 0x43)); // index 8, RPL 3
        s.AssertFault(GP, 0x40);
        Assert.Equal(before, s.Cpu.Segments[SegmentIndex.Ds]);
    }

    [Fact]
    public void ExecuteOnlyCodeIntoDsIsGp_ReadableConformingCodeIsAllowedAtAnyCpl()
    {
        using var s = new SegmentsMachine();
        s.SetGdt(9, Desc.Segment(0, 0xFFFF, 0x8, 0));   // execute-only
        s.SetGdt(10, Desc.Segment(0, 0xFFFF, 0xE, 0));  // conforming execute/read, DPL 0
        s.EnterProtected(SegmentsMachine.Code3, SegmentsMachine.Data3);
        Assert.Equal(3, s.Cpu.Cpl);
        Assert.False(s.Cpu.LoadSegmentRegister(SegmentIndex.Ds, 0x4B));
        s.AssertFault(GP, 0x48);
        Assert.True(s.Cpu.LoadSegmentRegister(SegmentIndex.Ds, 0x53));
    }

    [Fact]
    public void DataSegmentPrivilegeUsesBothCplAndRpl()
    {
        using var s = new SegmentsMachine();
        s.SetGdt(9, Desc.Segment(0, 0xFFFF, 0x2, 1)); // DPL 1 data
        s.EnterProtected();                            // CPL 0
        Assert.True(s.Cpu.LoadSegmentRegister(SegmentIndex.Fs, 0x49));  // RPL 1 ≤ DPL 1
        Assert.False(s.Cpu.LoadSegmentRegister(SegmentIndex.Fs, 0x4A)); // RPL 2 > DPL 1
        s.AssertFault(GP, 0x48);
        s.EnterProtected(SegmentsMachine.Code3, SegmentsMachine.Data3); // CPL 3 > DPL 1
        Assert.False(s.Cpu.LoadSegmentRegister(SegmentIndex.Gs, 0x4B));
        s.AssertFault(GP, 0x48);
    }

    [Fact]
    public void NotPresentIsNpForDataAndSsForTheStack()
    {
        using var s = new SegmentsMachine();
        s.SetGdt(9, Desc.Segment(0, 0xFFFF, 0x2, 0, present: false));
        s.EnterProtected();
        Assert.False(s.Cpu.LoadSegmentRegister(SegmentIndex.Ds, 0x48));
        s.AssertFault(NP, 0x48);
        Assert.False(s.Cpu.LoadSegmentRegister(SegmentIndex.Ss, 0x48));
        s.AssertFault(SS, 0x48);
    }

    [Fact]
    public void StackSegmentRules()
    {
        using var s = new SegmentsMachine();
        s.SetGdt(9, Desc.Segment(0, 0xFFFF, 0x0, 0)); // read-only data
        s.EnterProtected();
        Assert.False(s.Cpu.LoadSegmentRegister(SegmentIndex.Ss, 0x0000)); // null
        s.AssertFault(GP, 0);
        Assert.False(s.Cpu.LoadSegmentRegister(SegmentIndex.Ss, 0x0013)); // RPL 3 ≠ CPL 0
        s.AssertFault(GP, 0x10);
        Assert.False(s.Cpu.LoadSegmentRegister(SegmentIndex.Ss, 0x0048)); // not writable
        s.AssertFault(GP, 0x48);
        Assert.False(s.Cpu.LoadSegmentRegister(SegmentIndex.Ss, 0x0023)); // RPL 3 ≠ CPL (and DPL 3 ≠ CPL)
        s.AssertFault(GP, 0x20);
        Assert.True(s.Cpu.LoadSegmentRegister(SegmentIndex.Ss, 0x0010));
        Assert.Equal(4, s.Cpu.StackAddressSize);
    }

    [Fact]
    public void NullDataSelectorLoadsButUsingItIsGp()
    {
        using var s = new SegmentsMachine();
        s.EnterProtected();
        Assert.True(s.Cpu.LoadSegmentRegister(SegmentIndex.Ds, 0x0003));
        Assert.False(s.Cpu.Segments[SegmentIndex.Ds].IsUsable);
        s.Cpu.Read<byte>(SegmentIndex.Ds, 0x100);
        s.AssertFault(GP, 0);
    }

    [Fact]
    public void LdtSelectorsReadTheLdtAndFaultWithTiKept()
    {
        using var s = new SegmentsMachine();
        s.SetGdt(9, Desc.Segment((uint)SegmentsMachine.LdtBase, 0x17, 0x2, 0, s: false, db: false)); // LDT, 3 entries
        s.SetLdt(1, Desc.Segment(0x5000, 0xFF, 0x2, 0));
        s.EnterProtected();
        s.Code(32, a => a.lldt(Iced.Intel.AssemblerRegisters.ax));
        s.Cpu.Gpr[0] = 0x48;
        s.Steps(1);
        Assert.True(s.Cpu.LoadSegmentRegister(SegmentIndex.Ds, 0x0C)); // LDT entry 1
        Assert.Equal(0x5000ul, s.Cpu.Segments[SegmentIndex.Ds].Base);
        Assert.False(s.Cpu.LoadSegmentRegister(SegmentIndex.Ds, 0x1C)); // LDT entry 3: beyond limit 0x17
        s.AssertFault(GP, 0x1C);
    }

    [Fact]
    public void RealAndV86ModeLoadsUseSelectorTimes16()
    {
        using var s = new SegmentsMachine();
        s.M.StartRealMode(0, 0x7C00);
        Assert.True(s.Cpu.LoadSegmentRegister(SegmentIndex.Es, 0x1234));
        Assert.Equal(0x12340ul, s.Cpu.Segments[SegmentIndex.Es].Base);

        s.EnterProtected();
        s.Cpu.SetRflags(s.Cpu.GetRflags() | Rflags.VM);
        Assert.Equal(OperatingMode.Virtual8086, s.Cpu.Mode);
        Assert.True(s.Cpu.LoadSegmentRegister(SegmentIndex.Ds, 0xB800));
        var ds = s.Cpu.Segments[SegmentIndex.Ds];
        Assert.Equal(0xB8000ul, ds.Base);
        Assert.Equal(0xFFFFu, ds.Limit);
        Assert.Equal(3, ds.Dpl);
    }

    [Fact]
    public void SixtyFourBitModeNullSsOnlyBelowCpl3AndFsBaseFromDescriptor()
    {
        using var s = new SegmentsMachine();
        s.SetGdt(9, Desc.Segment(0xFEDC_BA98, 0xFFFF, 0x2, 0));
        s.EnterLong64();
        Assert.Equal(OperatingMode.Long64, s.Cpu.Mode);
        Assert.True(s.Cpu.LoadSegmentRegister(SegmentIndex.Ss, 0x0000)); // CPL 0, RPL 0
        Assert.False(s.Cpu.LoadSegmentRegister(SegmentIndex.Ss, 0x0001)); // RPL 1 ≠ CPL 0
        s.AssertFault(GP, 0);
        Assert.True(s.Cpu.LoadSegmentRegister(SegmentIndex.Fs, 0x48));
        Assert.Equal(0xFEDC_BA98ul, s.Cpu.Segments[SegmentIndex.Fs].Base);
    }
}
