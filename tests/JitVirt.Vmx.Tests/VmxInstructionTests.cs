using JitVirt.Cpu.Memory;
using JitVirt.Cpu.State;
using JitVirt.Mmu;
using Xunit;

namespace JitVirt.Vmx.Tests;

/// <summary>
/// VMXON/VMCLEAR/VMPTRLD/VMREAD/VMWRITE/VMLAUNCH/VMRESUME worked examples from SDM vol.3C ch.31
/// (the instruction pseudo-code) and §31.4 (VM-instruction error numbers), on the processor model
/// alone, as a VMM would execute them.
/// </summary>
public sealed class VmxInstructionTests : IDisposable
{
    readonly PhysicalMemory _ram = new(1 << 20);
    readonly JitVirt.Cpu.Cpu _cpu;
    readonly HostMemory _host = new();
    readonly VmxHardware _hw;

    public VmxInstructionTests()
    {
        _cpu = new JitVirt.Cpu.Cpu(_ram, IdentityTranslator.Instance);
        _hw = new VmxHardware(_cpu, _host);
    }

    public void Dispose() => _ram.Dispose();

    ulong Region(uint revision = VmxCapabilities.RevisionId)
    {
        ulong a = _host.AllocatePage();
        _host.Write64(a, revision);
        return a;
    }

    ulong EnableAndVmxon()
    {
        _hw.HostFeatureControl = 5;        // lock | VMX outside SMX
        _hw.HostCr4 |= Cr4.VMXE;
        ulong vmxon = Region();
        Assert.Equal(VmxStatus.Succeed, _hw.Vmxon(vmxon));
        return vmxon;
    }

    uint Error() { Assert.Equal(VmxStatus.Succeed, _hw.Vmread(0x4400, out ulong e)); return (uint)e; }

    [Fact]
    public void VmxonFaultsAndFailsAsTheSdmSays()
    {
        Assert.Equal(VmxStatus.InvalidOpcode, _hw.Vmxon(Region()));           // CR4.VMXE = 0 → #UD
        _hw.HostCr4 |= Cr4.VMXE;
        Assert.Equal(VmxStatus.GeneralProtection, _hw.Vmxon(Region()));       // IA32_FEATURE_CONTROL not locked → #GP
        _hw.HostFeatureControl = 1;
        Assert.Equal(VmxStatus.GeneralProtection, _hw.Vmxon(Region()));       // locked without VMX outside SMX → #GP
        _hw.HostFeatureControl = 5;
        Assert.Equal(VmxStatus.FailInvalid, _hw.Vmxon(Region(0x1234)));       // wrong revision → VMfailInvalid
        Assert.Equal(VmxStatus.FailInvalid, _hw.Vmxon(Region() + 8));         // not 4 KiB aligned → VMfailInvalid
        Assert.Equal(VmxStatus.Succeed, _hw.Vmxon(Region()));
        Assert.Equal(VmxStatus.FailInvalid, _hw.Vmxon(Region()));             // in VMX root, no current VMCS → VMfailInvalid
        ulong vmcs = Region();
        Assert.Equal(VmxStatus.Succeed, _hw.Vmptrld(vmcs));
        Assert.Equal(VmxStatus.FailValid, _hw.Vmxon(Region()));               // ... with one: VMfailValid(15)
        Assert.Equal(15u, Error());
    }

    [Fact]
    public void VmclearAndVmptrldFailWithTheirErrorNumbers()
    {
        ulong vmxon = EnableAndVmxon();
        ulong vmcs = Region();
        Assert.Equal(VmxStatus.FailInvalid, _hw.Vmclear(vmcs + 0x10));        // no current VMCS: VMfailInvalid
        Assert.Equal(VmxStatus.Succeed, _hw.Vmptrld(vmcs));
        Assert.Equal(VmxStatus.FailValid, _hw.Vmclear(vmcs + 0x10)); Assert.Equal(2u, Error());
        Assert.Equal(VmxStatus.FailValid, _hw.Vmclear(vmxon)); Assert.Equal(3u, Error());
        Assert.Equal(VmxStatus.FailValid, _hw.Vmptrld(vmcs + 0x800)); Assert.Equal(9u, Error());
        Assert.Equal(VmxStatus.FailValid, _hw.Vmptrld(vmxon)); Assert.Equal(10u, Error());
        Assert.Equal(VmxStatus.FailValid, _hw.Vmptrld(Region(7))); Assert.Equal(11u, Error());
        Assert.Equal(VmxStatus.Succeed, _hw.Vmptrst(out ulong current));
        Assert.Equal(vmcs, current);
        Assert.Equal(VmxStatus.Succeed, _hw.Vmclear(vmcs));                  // VMCLEAR of the current VMCS makes it not current
        Assert.Equal(VmxStatus.Succeed, _hw.Vmptrst(out current));
        Assert.Equal(ulong.MaxValue, current);
        Assert.Equal(VmxStatus.FailInvalid, _hw.Vmread(0x681E, out _));
    }

    [Fact]
    public void VmreadVmwriteOfEveryWidth()
    {
        EnableAndVmxon();
        Assert.Equal(VmxStatus.Succeed, _hw.Vmptrld(Region()));
        // 16-bit: the low 16 bits of the source are written, VMREAD zero-extends (SDM VMWRITE/VMREAD operation).
        Assert.Equal(VmxStatus.Succeed, _hw.Vmwrite(0x0802, 0xFFFF_1234_5678_9ABC));
        Assert.Equal(VmxStatus.Succeed, _hw.Vmread(0x0802, out ulong v)); Assert.Equal(0x9ABCul, v);
        // 32-bit.
        Assert.Equal(VmxStatus.Succeed, _hw.Vmwrite(0x4802, 0x1_2345_6789));
        _hw.Vmread(0x4802, out v); Assert.Equal(0x2345_6789ul, v);
        // 64-bit, full and high halves (encoding + 1 reads/writes bits 63:32 only).
        Assert.Equal(VmxStatus.Succeed, _hw.Vmwrite(0x2010, 0x1122_3344_5566_7788));
        _hw.Vmread(0x2010, out v); Assert.Equal(0x1122_3344_5566_7788ul, v);
        _hw.Vmread(0x2011, out v); Assert.Equal(0x1122_3344ul, v);
        Assert.Equal(VmxStatus.Succeed, _hw.Vmwrite(0x2011, 0xFFFF_FFFF_AABB_CCDD));
        _hw.Vmread(0x2010, out v); Assert.Equal(0xAABB_CCDD_5566_7788ul, v);
        // Natural width on a 64-bit processor: all 64 bits.
        Assert.Equal(VmxStatus.Succeed, _hw.Vmwrite(0x681E, 0xFFFF_8000_0000_1234));
        _hw.Vmread(0x681E, out v); Assert.Equal(0xFFFF_8000_0000_1234ul, v);
    }

    [Theory]
    [InlineData(0x4402u, 13u)]   // exit reason: read-only data field → error 13
    [InlineData(0x6400u, 13u)]   // exit qualification
    [InlineData(0x2400u, 13u)]   // guest-physical address (64-bit read-only)
    [InlineData(0x0002u, 12u)]   // posted-interrupt notification vector: not supported here → error 12
    [InlineData(0x4403u, 12u)]   // high access of a 32-bit field
    [InlineData(0x8000_681Eu, 12u)] // reserved bits set
    public void VmwriteFailuresCarryTheirErrorNumber(uint field, uint error)
    {
        EnableAndVmxon();
        Assert.Equal(VmxStatus.Succeed, _hw.Vmptrld(Region()));
        Assert.Equal(VmxStatus.FailValid, _hw.Vmwrite(field, 1));
        Assert.Equal(error, Error());
    }

    [Fact]
    public void ReadOnlyFieldsAreReadable()
    {
        EnableAndVmxon();
        Assert.Equal(VmxStatus.Succeed, _hw.Vmptrld(Region()));
        Assert.Equal(VmxStatus.Succeed, _hw.Vmread(0x4402, out _));
        Assert.Equal(VmxStatus.Succeed, _hw.Vmread(0x2401, out _));           // high half of a read-only 64-bit field
        Assert.Equal(VmxStatus.FailValid, _hw.Vmread(0x0002, out _));
        Assert.Equal(12u, Error());
    }

    [Fact]
    public void InvvpidRejectsInvalidOperandsWithError28()
    {
        EnableAndVmxon();
        Assert.Equal(VmxStatus.Succeed, _hw.Vmptrld(Region()));
        Assert.Equal(VmxStatus.FailValid, _hw.Invvpid((InvvpidType)4, 1, 0)); Assert.Equal(28u, Error());
        Assert.Equal(VmxStatus.FailValid, _hw.Invvpid(InvvpidType.SingleContext, 0, 0)); Assert.Equal(28u, Error());
        Assert.Equal(VmxStatus.FailValid, _hw.Invvpid(InvvpidType.IndividualAddress, 1, 0x8000_0000_0000_0000)); Assert.Equal(28u, Error());
        Assert.Equal(VmxStatus.Succeed, _hw.Invvpid(InvvpidType.AllContexts, 0, 0));
        Assert.Equal(VmxStatus.Succeed, _hw.Invvpid(InvvpidType.SingleContextRetainingGlobals, 9, 0));
    }

    [Fact]
    public void CapabilityMsrsFollowTheAllowed01Rule()
    {
        // SDM A.3.1: a bit may be 0 iff it is 0 in the low dword, may be 1 iff it is 1 in the high dword.
        ulong pin = VmxCapabilities.Read(0x481)!.Value;
        Assert.Equal(0x16u, (uint)pin);                                      // default-1 bits 1, 2, 4 of first-generation VT-x
        Assert.True(VmxCapabilities.Allows(pin, 0x16 | 1 | 8));              // + external-interrupt and NMI exiting
        Assert.False(VmxCapabilities.Allows(pin, 0x01));                      // a default-1 bit cleared
        Assert.False(VmxCapabilities.Allows(pin, 0x16 | 0x20));              // virtual NMIs are not implemented
        ulong basic = VmxCapabilities.Read(0x480)!.Value;
        Assert.Equal(VmxCapabilities.RevisionId, (uint)basic & 0x7FFF_FFFF);
        Assert.Equal(4096ul, (basic >> 32) & 0x1FFF);
        Assert.Equal(0ul, basic >> 55 & 1);                                  // no TRUE_* MSRs
        ulong misc = VmxCapabilities.Read(0x485)!.Value;
        Assert.Equal(4ul, (misc >> 16) & 0x1FF);                             // CR3-target values
        ulong ept = VmxCapabilities.Read(0x48C)!.Value;
        Assert.Equal(0xFul, (ept >> 40) & 0xF);                              // INVVPID types 0–3
        Assert.Equal(1ul, ept >> 32 & 1);
        Assert.Equal(0x2000ul, VmxCapabilities.Read(0x488));                  // CR4_FIXED0 = VMXE
        Assert.Null(VmxCapabilities.Read(0x491));
        // 2.6.20's vmcs_write32_fixedbits: (desired & high) | low.
        Assert.Equal(0x16u | 1u, VmxCapabilities.Adjust(pin, 1 | 0x20));
    }
}
