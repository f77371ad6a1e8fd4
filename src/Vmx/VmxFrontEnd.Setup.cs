using JitVirt.Cpu;
using JitVirt.Cpu.State;

namespace JitVirt.Vmx;

/// <summary>
/// hardware_enable (IA32_FEATURE_CONTROL, CR4.VMXE, VMXON), vCPU creation (a VMCS, VMCLEARed) and
/// vmx_vcpu_setup (controls and guest state), taking the guest state from the Cpu's current
/// architectural state as KVM_SET_SREGS/KVM_SET_REGS did.
/// </summary>
public sealed partial class VmxFrontEnd
{
    ulong _vmcsRegion = VmxHardware.NoVmcs;

    /// <summary>Host-physical addresses of the I/O bitmaps A/B and the MSR bitmap (allocated, unused by the 2.6.20 defaults).</summary>
    public ulong IoBitmapA { get; private set; }
    public ulong IoBitmapB { get; private set; }
    public ulong MsrBitmapPage { get; private set; }

    /// <summary>A stand-in for <c>kvm_vmx_return</c>, the HOST_RIP every exit lands on.</summary>
    const ulong HostRipSentinel = 0xFFFF_FFFF_A000_0000;

    /// <summary>hardware_enable: IA32_FEATURE_CONTROL (lock + VMX outside SMX), CR4.VMXE, VMXON on a region carrying the revision id.</summary>
    void HardwareEnable()
    {
        if (_hw.InVmxOperation) return;
        ulong fc = _hw.ReadHostMsr(VmxCapabilities.Ia32FeatureControl);
        const ulong enabled = VmxCapabilities.FeatureControlLock | VmxCapabilities.FeatureControlVmxOutsideSmx;
        if ((fc & enabled) == VmxCapabilities.FeatureControlLock) throw new InvalidOperationException("VMX disabled by the BIOS (IA32_FEATURE_CONTROL locked without VMX)");
        if ((fc & enabled) != enabled) _hw.HostFeatureControl = fc | enabled;
        _hw.HostCr4 |= Cr4.VMXE;
        ulong basic = _hw.ReadHostMsr(VmxCapabilities.Ia32VmxBasic);
        ulong region = _hw.Memory.AllocatePage();
        Vmcs.SetRevisionId(_hw.Memory.PageAt(region)!, (uint)basic & 0x7FFF_FFFF);
        if (_hw.Vmxon(region) != VmxStatus.Succeed) throw new InvalidOperationException("VMXON failed");
        _vmcsRegion = _hw.Memory.AllocatePage();
        Vmcs.SetRevisionId(_hw.Memory.PageAt(_vmcsRegion)!, (uint)basic & 0x7FFF_FFFF);
        IoBitmapA = _hw.Memory.AllocatePage();
        IoBitmapB = _hw.Memory.AllocatePage();
        MsrBitmapPage = _hw.Memory.AllocatePage();
    }

    public void Reset()
    {
        HardwareEnable();
        _hw.Vmclear(_vmcsRegion);
        _hw.Vmptrld(_vmcsRegion);
        _launched = false;
        _rmode = false;
        _halted = false;
        _nmiPending = false;
        _windowExiting = false;
        _stop = null;
        _pending.Clear();
        PlaceFakeTss();
        VcpuSetup();
        _cpu.AttachInterceptController(this);
    }

    void VcpuSetup()
    {
        var cpu = _cpu;
        // Controls (vmx_vcpu_setup with vmcs_write32_fixedbits).
        Write(VmcsField.PinBasedControls, VmxCapabilities.Adjust(VmxCapabilities.PinbasedCtls, PinControls.ExternalInterruptExiting | PinControls.NmiExiting));
        // INVLPG exiting as 2.6.20 set it: under shadow paging the VMM must drop the page's shadow
        // translation itself (SDM vol.3C §25.6.2, Table 25-6, bit 9).
        uint proc = ProcControls.HltExiting | ProcControls.Cr8LoadExiting | ProcControls.Cr8StoreExiting | ProcControls.UnconditionalIoExiting
            | ProcControls.InvlpgExiting | ProcControls.MovDrExiting | ProcControls.UseTscOffsetting;
        if (UseVpid) proc |= ProcControls.ActivateSecondaryControls;
        Write(VmcsField.ProcessorBasedControls, VmxCapabilities.Adjust(VmxCapabilities.ProcbasedCtls, proc));
        Write(VmcsField.SecondaryProcessorBasedControls, UseVpid ? VmxCapabilities.Adjust(VmxCapabilities.ProcbasedCtls2, SecondaryControls.EnableVpid) : 0);
        Write(VmcsField.VirtualProcessorId, UseVpid ? Vpid : 0u);
        Write(VmcsField.ExceptionBitmap, ProtectedModeExceptionBitmap);
        Write(VmcsField.PageFaultErrorCodeMask, 0);
        Write(VmcsField.PageFaultErrorCodeMatch, 0);
        Write(VmcsField.Cr3TargetCount, 0);
        Write(VmcsField.IoBitmapA, IoBitmapA);
        Write(VmcsField.IoBitmapB, IoBitmapB);
        Write(VmcsField.MsrBitmap, MsrBitmapPage);
        Write(VmcsField.VmExitControls, VmxCapabilities.Adjust(VmxCapabilities.ExitCtls, ExitControls.HostAddressSpaceSize));
        Write(VmcsField.VmEntryControls, VmxCapabilities.Adjust(VmxCapabilities.EntryCtls, (cpu.Efer & Efer.LMA) != 0 ? EntryControls.Ia32eModeGuest : 0));
        Write(VmcsField.VmEntryInterruptionInfo, 0);
        Write(VmcsField.VmcsLinkPointer, ulong.MaxValue);
        Write(VmcsField.GuestIa32Debugctl, 0);
        // The guest's TSC continues from the Cpu's: TSC_OFFSET = guest TSC − host TSC.
        Write(VmcsField.TscOffset, cpu.Msrs.Tsc - cpu.Msrs.TimeSource.Now(cpu));
        Write(VmcsField.Cr0GuestHostMask, Cr0HostOwned);
        Write(VmcsField.Cr4GuestHostMask, Cr4HostOwned);
        // Host state: the processor model's own CRs and the return address.
        Write(VmcsField.HostCr0, _hw.HostCr0);
        Write(VmcsField.HostCr4, _hw.HostCr4);
        Write(VmcsField.HostRip, HostRipSentinel);
        WriteGuestStateFromEmulator();
        _windowExiting = false;
    }

    /// <summary>
    /// Writes every guest-state field from the Cpu's architectural state (KVM_SET_SREGS, and the
    /// write-back after the processor's own task switch ran as the emulator). Real mode takes the
    /// virtual-8086 path.
    /// </summary>
    void WriteGuestStateFromEmulator()
    {
        var cpu = _cpu;
        bool wasRmode = _rmode;
        _rmode = false;
        ulong guestCr0 = wasRmode ? GuestCr0 & ~Cr0.PE | (cpu.Cr0 & Cr0.PE) : cpu.Cr0;
        ulong guestCr4 = cpu.Cr4 & ~(wasRmode ? Cr4.VME | Cr4.VMXE : Cr4.VMXE);
        if (wasRmode) guestCr4 = GuestCr4;
        Write(VmcsField.Cr0ReadShadow, guestCr0);
        Write(VmcsField.GuestCr0, guestCr0 | VmxCapabilities.Cr0Fixed0);
        Write(VmcsField.Cr4ReadShadow, guestCr4);
        Write(VmcsField.GuestCr4, RealCr4(guestCr4));
        Write(VmcsField.GuestCr3, cpu.Cr3);
        Write(VmcsField.GuestDr7, cpu.Dr[7]);
        for (int s = 0; s < SegmentIndex.Count; s++) WriteSegment(s, cpu.Segments[s]);
        WriteSegment(6, cpu.Ldtr);
        WriteSegment(7, cpu.Tr);
        Write(VmcsField.GuestGdtrBase, cpu.Gdtr.Base);
        Write(VmcsField.GuestGdtrLimit, cpu.Gdtr.Limit);
        Write(VmcsField.GuestIdtrBase, cpu.Idtr.Base);
        Write(VmcsField.GuestIdtrLimit, cpu.Idtr.Limit);
        Write(VmcsField.GuestSysenterCs, cpu.Msrs.SysenterCs);
        Write(VmcsField.GuestSysenterEsp, cpu.Msrs.SysenterEsp);
        Write(VmcsField.GuestSysenterEip, cpu.Msrs.SysenterEip);
        Write(VmcsField.GuestRsp, cpu.Gpr[JitVirt.Cpu.State.Gpr.Rsp]);
        Write(VmcsField.GuestRip, cpu.Rip);
        Write(VmcsField.GuestRflags, cpu.GetRflags() & ~(wasRmode ? Rflags.VM : 0));
        Write(VmcsField.GuestInterruptibilityState, (cpu.InterruptShadow ? Interruptibility.BlockingBySti : 0) | (cpu.NmiBlocked ? Interruptibility.BlockingByNmi : 0));
        Write(VmcsField.GuestActivityState, cpu.Halted ? ActivityState.Hlt : ActivityState.Active);
        Write(VmcsField.GuestPendingDebugExceptions, 0);
        SetEntryIa32e((cpu.Efer & Efer.LMA) != 0);
        if ((guestCr0 & Cr0.PE) == 0) EnterRealMode();
        else if (wasRmode) { _rmode = true; LeaveRealMode(); }
        else Write(VmcsField.ExceptionBitmap, ProtectedModeExceptionBitmap);
    }

    void WriteSegment(int s, in SegmentRegister r)
    {
        Write(VmcsField.Selector(s), r.Selector);
        Write(VmcsField.Base(s), r.Base);
        Write(VmcsField.Limit(s), r.Limit);
        // 2.6.20: an all-zero AR is written as "unusable" (bit 16).
        Write(VmcsField.AccessRights(s), r.AccessRights == 0 ? SegmentRegister.Unusable : r.AccessRights);
    }
}
