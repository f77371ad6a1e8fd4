using JitVirt.Cpu.Execution;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Vmx.Tests;

/// <summary>
/// Launch state (SDM vol.3C §25.1: VMLAUNCH needs a clear VMCS, error 4; VMRESUME a launched one,
/// error 5) and the VM-entry checks (§27.2: control/host-state failures are VMfailValid 7/8; §27.3:
/// guest-state failures are an exit with reason 33 and bit 31 set; §27.1: MOV-SS blocking is error 26).
/// </summary>
public sealed class LaunchStateAndEntryCheckTests
{
    static VmxGuest Guest() => new(a => { a.nop(); a.hlt(); });

    uint Error(VmxGuest g) => (uint)g.Vmread(0x4400);

    [Fact]
    public void VmlaunchOnALaunchedVmcsFailsWithError4()
    {
        using var g = Guest();
        Assert.Equal(StopReason.Halted, g.Run());                       // the front end launched it
        Assert.Equal(VmxStatus.FailValid, g.Vmx.Hardware.Vmlaunch());
        Assert.Equal(4u, Error(g));
    }

    [Fact]
    public void VmresumeOnAClearVmcsFailsWithError5()
    {
        using var g = Guest();
        var hw = g.Vmx.Hardware;
        ulong vmcs = hw.CurrentVmcsPointer;
        Assert.Equal(VmxStatus.FailValid, hw.Vmresume());               // never launched
        Assert.Equal(5u, Error(g));
        Assert.Equal(VmxStatus.Succeed, hw.Vmlaunch());
        Assert.Equal(VmxStatus.FailValid, hw.Vmlaunch());
        Assert.Equal(4u, Error(g));
        Assert.Equal(VmxStatus.Succeed, hw.Vmclear(vmcs));
        Assert.Equal(VmxStatus.Succeed, hw.Vmptrld(vmcs));
        Assert.Equal(VmxStatus.FailValid, hw.Vmresume());               // clear again
        Assert.Equal(5u, Error(g));
        Assert.Equal(VmxStatus.Succeed, hw.Vmlaunch());
    }

    [Theory]
    [InlineData(0x4000u, 0x0ul)]                 // pin-based: default-1 bits 1, 2, 4 cleared (allowed-0)
    [InlineData(0x4000u, 0x36ul)]                // pin-based: bit 5 (virtual NMIs) not in allowed-1
    [InlineData(0x400Au, 5ul)]                   // CR3-target count above IA32_VMX_MISC's 4
    [InlineData(0x4016u, 0x8000_0102ul)]         // entry info: interruption type 1 is reserved
    [InlineData(0x4016u, 0x8000_0803ul)]         // entry info: error code with an external interrupt
    [InlineData(0x4016u, 0x8000_0430ul)]         // entry info: software interrupt with instruction length 0
    public void InvalidControlsFailEntryWithError7(uint field, ulong value)
    {
        using var g = Guest();
        g.Vmwrite(field, value);
        Assert.Equal(StopReason.Shutdown, g.Run());
        Assert.Equal(7u, g.Vmx.LastEntryFailure);
    }

    [Fact]
    public void VpidZeroWithEnableVpidFailsEntryWithError7()
    {
        using var g = new VmxGuest(a => a.hlt(), vpid: true);
        g.Vmwrite(VmcsField.VirtualProcessorId, 0);
        Assert.Equal(StopReason.Shutdown, g.Run());
        Assert.Equal(7u, g.Vmx.LastEntryFailure);
    }

    [Fact]
    public void HostStateOutsideTheFixedBitsFailsWithError8()
    {
        using var g = Guest();
        g.Vmwrite(VmcsField.HostCr4, 0);                                 // CR4.VMXE is fixed to 1
        Assert.Equal(StopReason.Shutdown, g.Run());
        Assert.Equal(8u, g.Vmx.LastEntryFailure);
    }

    [Theory]
    [InlineData(0x6800u, 0x8000_0011ul)]         // guest CR0 with PG but not PE/NE (CR0_FIXED0 = PE|NE)
    [InlineData(0x6804u, 0x20ul)]                // guest CR4 without VMXE
    [InlineData(0x6820u, 0x0ul)]                 // RFLAGS bit 1 must be 1
    [InlineData(0x4826u, 3ul)]                   // activity state wait-for-SIPI: not in IA32_VMX_MISC
    [InlineData(0x2800u, 0ul)]                   // VMCS link pointer must be all ones
    [InlineData(0x4822u, 0x83ul)]                // TR: a 16-bit TSS in IA-32e mode
    public void InvalidGuestStateExitsWithReason33AndBit31(uint field, ulong value)
    {
        using var g = Guest();
        g.Vmwrite(field, value);
        Assert.Equal(StopReason.Shutdown, g.Run());
        Assert.Equal(0x8000_0021u, g.Vmx.LastEntryFailure);
        Assert.Equal(0x8000_0021ul, g.Vmread(0x4402));
    }

    [Fact]
    public void BlockingByMovSsFailsEntryWithError26()
    {
        using var g = Guest();
        g.Vmwrite(VmcsField.GuestInterruptibilityState, 2);
        Assert.Equal(StopReason.Shutdown, g.Run());
        Assert.Equal(26u, g.Vmx.LastEntryFailure);
    }
}
