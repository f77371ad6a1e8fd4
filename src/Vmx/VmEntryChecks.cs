using JitVirt.Cpu.State;

namespace JitVirt.Vmx;

/// <summary>
/// The checks of VM entry (SDM vol.3C ch.27): on the VMX controls and host-state area (§27.2, failures
/// are VMfailValid 7 or 8) and on the guest-state area (§27.3, failures are a VM exit with basic
/// reason 33 and bit 31 set). The subset is every check a JitVirt VMM can trip over: the
/// allowed-0/1 control settings, CR3-target count, bitmap alignment, MSR lists (unsupported, so
/// counts must be 0), VPID, the entry interruption-information rules, fixed CR0/CR4 bits, RFLAGS,
/// the virtual-8086 segment rules, TR/LDTR types, activity and interruptibility state, the link pointer.
/// </summary>
public sealed partial class VmxHardware
{
    bool ControlsValid()
    {
        uint pin = (uint)F(SlotPin), proc = (uint)F(SlotProc), exitCtl = (uint)F(SlotExitCtl), entryCtl = (uint)F(SlotEntryCtl);
        if (!VmxCapabilities.Allows(VmxCapabilities.PinbasedCtls, pin)) return false;
        if (!VmxCapabilities.Allows(VmxCapabilities.ProcbasedCtls, proc)) return false;
        uint proc2 = (proc & ProcControls.ActivateSecondaryControls) != 0 ? (uint)F(SlotProc2) : 0;
        if (!VmxCapabilities.Allows(VmxCapabilities.ProcbasedCtls2, proc2)) return false;
        if (!VmxCapabilities.Allows(VmxCapabilities.ExitCtls, exitCtl)) return false;
        if (!VmxCapabilities.Allows(VmxCapabilities.EntryCtls, entryCtl)) return false;
        if (F(SlotCr3Count) > VmxCapabilities.Cr3TargetValues) return false;                                     // §27.2.1.1
        if ((proc & ProcControls.UseIoBitmaps) != 0 && (!IsBitmapPage(F(SlotIoA)) || !IsBitmapPage(F(SlotIoB)))) return false;
        if ((proc & ProcControls.UseMsrBitmaps) != 0 && !IsBitmapPage(F(SlotMsrBitmap))) return false;
        if (F(SlotExitMsrStore) != 0 || F(SlotExitMsrLoad) != 0 || F(SlotEntryMsrLoad) != 0) return false;
        if ((proc2 & SecondaryControls.EnableVpid) != 0 && (ushort)F(SlotVpid) == 0) return false;               // §27.2.1.1: VPID ≠ 0
        return EntryEventValid((uint)F(SlotEntryIntInfo), (uint)F(SlotEntryLength));
    }

    bool IsBitmapPage(ulong address) => (address & 0xFFF) == 0 && Memory.Exists(address);

    /// <summary>VM-entry event-injection rules (SDM vol.3C §27.2.1.3).</summary>
    bool EntryEventValid(uint info, uint length)
    {
        if (!InterruptionInfo.IsValid(info)) return true;
        if ((info & 0x7FFF_F000) != 0) return false;                           // bits 30:12 reserved
        uint type = InterruptionInfo.Type(info);
        byte vector = InterruptionInfo.Vector(info);
        if (type is 1 or 7) return false;                                      // reserved / other event (no MTF here)
        if (type == InterruptionType.Nmi && vector != 2) return false;
        if (type == InterruptionType.HardwareException && vector > 31) return false;
        bool protectedMode = (F(SlotCr0) & Cr0.PE) != 0;
        bool errorCodeVector = vector is 8 or 10 or 11 or 12 or 13 or 14 or 17;
        if (InterruptionInfo.HasErrorCode(info) && !(protectedMode && type == InterruptionType.HardwareException && errorCodeVector)) return false;
        if (type is InterruptionType.SoftwareInterrupt or InterruptionType.PrivilegedSoftwareException or InterruptionType.SoftwareException
            && (length == 0 || length > 15)) return false;
        return true;
    }

    bool HostStateValid()
        => VmxCapabilities.CrAllowed(F(SlotHostCr0), VmxCapabilities.Cr0Fixed0, VmxCapabilities.Cr0Fixed1)
        && VmxCapabilities.CrAllowed(F(SlotHostCr4), VmxCapabilities.Cr4Fixed0, VmxCapabilities.Cr4Fixed1)
        && F(SlotHostRip) != 0;

    /// <summary>Guest-state checks (SDM vol.3C §27.3.1).</summary>
    bool GuestStateValid()
    {
        ulong cr0 = F(SlotCr0), cr4 = F(SlotCr4), rflags = F(SlotRflags);
        if (!VmxCapabilities.CrAllowed(cr0, VmxCapabilities.Cr0Fixed0, VmxCapabilities.Cr0Fixed1)) return false;
        if (!VmxCapabilities.CrAllowed(cr4, VmxCapabilities.Cr4Fixed0, VmxCapabilities.Cr4Fixed1)) return false;
        bool ia32e = (F(SlotEntryCtl) & EntryControls.Ia32eModeGuest) != 0;
        if (ia32e && ((cr0 & Cr0.PG) == 0 || (cr4 & Cr4.PAE) == 0)) return false;
        if ((rflags & Rflags.Reserved1) == 0 || (rflags & ~(Rflags.Writable | Rflags.Reserved1)) != 0) return false;   // §27.3.1.4
        if ((rflags & Rflags.VM) != 0 && (ia32e || (cr0 & Cr0.PE) == 0)) return false;
        if ((rflags & Rflags.VM) != 0)
        {
            // §27.3.1.2: in virtual-8086 mode every segment has base = selector × 16, limit FFFF, AR F3.
            for (int s = 0; s < 6; s++)
                if (F(SlotBase[s]) != (F(SlotSelector[s]) << 4) || F(SlotLimit[s]) != 0xFFFF || F(SlotAr[s]) != 0xF3) return false;
        }
        uint trType = (uint)F(SlotAr[7]) & 0xF;
        if ((F(SlotAr[7]) & SegmentRegister.Unusable) != 0 || (F(SlotAr[7]) & SegmentRegister.DescriptorTypeS) != 0
            || (F(SlotAr[7]) & SegmentRegister.Present) == 0 || !(trType == 11 || (trType == 3 && !ia32e))) return false;
        uint ldtr = (uint)F(SlotAr[6]);
        if ((ldtr & SegmentRegister.Unusable) == 0 && ((ldtr & 0xF) != 2 || (ldtr & SegmentRegister.Present) == 0)) return false;
        ulong activity = F(SlotActivity);
        if (activity > ActivityState.Hlt) return false;                         // IA32_VMX_MISC reports HLT only
        uint intr = (uint)F(SlotInterruptibility);
        if ((intr & Interruptibility.Reserved) != 0) return false;
        if ((intr & 3) == 3) return false;                                      // STI and MOV SS blocking together
        if ((rflags & Rflags.IF) == 0 && (intr & Interruptibility.BlockingBySti) != 0) return false;
        uint entryInfo = (uint)F(SlotEntryIntInfo);
        if (InterruptionInfo.IsValid(entryInfo) && InterruptionInfo.Type(entryInfo) == InterruptionType.ExternalInterrupt
            && ((rflags & Rflags.IF) == 0 || (intr & 3) != 0)) return false;
        if (activity == ActivityState.Hlt && InterruptionInfo.IsValid(entryInfo)
            && InterruptionInfo.Type(entryInfo) is not (InterruptionType.ExternalInterrupt or InterruptionType.Nmi)
            && !(InterruptionInfo.Type(entryInfo) == InterruptionType.HardwareException && InterruptionInfo.Vector(entryInfo) is 1 or 18))
            return false;                                                       // §27.3.1.5
        if (F(SlotLink) != ulong.MaxValue) return false;                        // §27.3.1.5: no VMCS shadowing
        return true;
    }
}
