using System.Runtime.CompilerServices;
using JitVirt.Cpu.State;

namespace JitVirt.Vmx;

/// <summary>How a VMX instruction ended (SDM vol.3C §31.2 conventions, plus the faults it can raise in VMX root).</summary>
public enum VmxStatus
{
    /// <summary>VMsucceed: CF = PF = AF = ZF = SF = OF = 0.</summary>
    Succeed,
    /// <summary>VMfailInvalid: CF = 1, no current VMCS to hold an error number.</summary>
    FailInvalid,
    /// <summary>VMfailValid: ZF = 1, the VM-instruction error field holds the number.</summary>
    FailValid,
    /// <summary>#UD (outside VMX operation, or VMXON with CR4.VMXE = 0).</summary>
    InvalidOpcode,
    /// <summary>#GP(0) (VMXON with IA32_FEATURE_CONTROL not allowing it, or CR0/CR4 outside the fixed bits).</summary>
    GeneralProtection,
    /// <summary>VMLAUNCH/VMRESUME passed the VMfail checks but the guest state failed: a VM exit with exit-reason bit 31 set happened (SDM vol.3C §27.8).</summary>
    EntryFailedWithExit,
}

/// <summary>VM-instruction error numbers (SDM vol.3C §31.4, Table 31-1).</summary>
public enum VmInstructionError : uint
{
    None = 0,
    VmcallInVmxRoot = 1,
    VmclearInvalidAddress = 2,
    VmclearWithVmxonPointer = 3,
    VmlaunchNonClearVmcs = 4,
    VmresumeNonLaunchedVmcs = 5,
    VmresumeAfterVmxoff = 6,
    EntryInvalidControlFields = 7,
    EntryInvalidHostStateFields = 8,
    VmptrldInvalidAddress = 9,
    VmptrldWithVmxonPointer = 10,
    VmptrldIncorrectRevision = 11,
    UnsupportedVmcsComponent = 12,
    VmwriteReadOnlyComponent = 13,
    VmxonInVmxRoot = 15,
    EntryEventsBlockedByMovSs = 26,
    InvalidOperandInveptInvvpid = 28,
}

/// <summary>INVVPID types (SDM vol.3C §31.3, INVVPID).</summary>
public enum InvvpidType : ulong { IndividualAddress = 0, SingleContext = 1, AllContexts = 2, SingleContextRetainingGlobals = 3 }

/// <summary>
/// The VMX instructions of the processor model as the VMM executes them in VMX root operation
/// (SDM vol.3C ch.31): VMXON, VMXOFF, VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE, INVVPID.
/// VMLAUNCH/VMRESUME are in <c>VmTransitions.cs</c>.
/// </summary>
public sealed partial class VmxHardware
{
    /// <summary>The invalid VMCS pointer (all ones) that "no current VMCS" is (SDM vol.3C §24.11.1).</summary>
    public const ulong NoVmcs = ulong.MaxValue;

    public bool InVmxOperation { get; private set; }
    public ulong VmxonPointer { get; private set; } = NoVmcs;
    public ulong CurrentVmcsPointer { get; private set; } = NoVmcs;

    /// <summary>The current VMCS region (null when there is none).</summary>
    ulong[]? _vmcs;

    /// <summary>The host processor's own IA32_FEATURE_CONTROL, CR0 and CR4 (not the guest's).</summary>
    public ulong HostFeatureControl { get; set; }
    public ulong HostCr0 { get; set; } = Cr0.PE | Cr0.NE | Cr0.PG | Cr0.WP | Cr0.ET;
    public ulong HostCr4 { get; set; } = Cr4.PAE | Cr4.PGE | Cr4.OSFXSR;

    /// <summary>Host RDMSR of a VMX capability MSR or IA32_FEATURE_CONTROL.</summary>
    public ulong ReadHostMsr(uint index) => index == VmxCapabilities.Ia32FeatureControl ? HostFeatureControl
        : VmxCapabilities.Read(index) ?? throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>VMXON (SDM vol.3C §31.3 VMXON).</summary>
    public VmxStatus Vmxon(ulong region)
    {
        if ((HostCr4 & Cr4.VMXE) == 0) return VmxStatus.InvalidOpcode;
        if (InVmxOperation) return VmFail(VmInstructionError.VmxonInVmxRoot);
        if ((HostFeatureControl & VmxCapabilities.FeatureControlLock) == 0
            || (HostFeatureControl & VmxCapabilities.FeatureControlVmxOutsideSmx) == 0
            || !VmxCapabilities.CrAllowed(HostCr0, VmxCapabilities.Cr0Fixed0, VmxCapabilities.Cr0Fixed1)
            || !VmxCapabilities.CrAllowed(HostCr4, VmxCapabilities.Cr4Fixed0, VmxCapabilities.Cr4Fixed1))
            return VmxStatus.GeneralProtection;
        if (!IsValidRegionAddress(region) || Vmcs.RevisionId(Memory.PageAt(region)!) != VmxCapabilities.RevisionId)
            return VmxStatus.FailInvalid;
        InVmxOperation = true;
        VmxonPointer = region;
        CurrentVmcsPointer = NoVmcs;
        _vmcs = null;
        return VmxStatus.Succeed;
    }

    /// <summary>VMXOFF (SDM vol.3C §31.3 VMXOFF).</summary>
    public VmxStatus Vmxoff()
    {
        if (!InVmxOperation) return VmxStatus.InvalidOpcode;
        InVmxOperation = false;
        VmxonPointer = NoVmcs;
        return VmxStatus.Succeed;
    }

    /// <summary>VMCLEAR: the VMCS becomes clear (launch state) and stops being current if it was (SDM vol.3C §31.3 VMCLEAR).</summary>
    public VmxStatus Vmclear(ulong region)
    {
        if (!InVmxOperation) return VmxStatus.InvalidOpcode;
        if (!IsValidRegionAddress(region)) return VmFail(VmInstructionError.VmclearInvalidAddress);
        if (region == VmxonPointer) return VmFail(VmInstructionError.VmclearWithVmxonPointer);
        if (region == CurrentVmcsPointer && _guestStateCached) WriteBackGuestState();   // §24.11.3: VMCLEAR writes cached data to the region
        Vmcs.SetLaunchState(Memory.PageAt(region)!, VmcsLaunchState.Clear);
        if (region == CurrentVmcsPointer) { CurrentVmcsPointer = NoVmcs; _vmcs = null; }
        return VmSucceed();
    }

    /// <summary>VMPTRLD: makes the VMCS at <paramref name="region"/> current (SDM vol.3C §31.3 VMPTRLD).</summary>
    public VmxStatus Vmptrld(ulong region)
    {
        if (!InVmxOperation) return VmxStatus.InvalidOpcode;
        if (!IsValidRegionAddress(region)) return VmFail(VmInstructionError.VmptrldInvalidAddress);
        if (region == VmxonPointer) return VmFail(VmInstructionError.VmptrldWithVmxonPointer);
        var page = Memory.PageAt(region)!;
        if (Vmcs.RevisionId(page) != VmxCapabilities.RevisionId) return VmFail(VmInstructionError.VmptrldIncorrectRevision);
        if (_guestStateCached) WriteBackGuestState();
        CurrentVmcsPointer = region;
        _vmcs = page;
        MarkAllDirty();
        return VmSucceed();
    }

    /// <summary>VMPTRST: the current-VMCS pointer (all ones when there is none).</summary>
    public VmxStatus Vmptrst(out ulong pointer)
    {
        pointer = CurrentVmcsPointer;
        return InVmxOperation ? VmSucceed() : VmxStatus.InvalidOpcode;
    }

    /// <summary>VMREAD (SDM vol.3C §31.3 VMREAD): 16- and 32-bit fields zero-extend; a high access returns bits 63:32 of a 64-bit field.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // with a constant encoding, the checks fold away (the VMM's VMREADs all have one)
    public VmxStatus Vmread(uint encoding, out ulong value)
    {
        value = 0;
        if (!InVmxOperation) return VmxStatus.InvalidOpcode;
        if (_vmcs is null) return VmxStatus.FailInvalid;
        int slot = Vmcs.SlotOf(encoding & ~1u);
        if (slot < 0 || IsBadHighAccess(encoding)) return VmFail(VmInstructionError.UnsupportedVmcsComponent);
        if (_guestStateCached && ((encoding >> 10) & 3) == (uint)VmcsFieldType.GuestState && !IsCheapGuestSlot(slot)) WriteBackGuestState();
        ulong raw = _vmcs[slot];
        value = (encoding & 1) != 0 ? raw >> 32 : raw;
        return VmxStatus.Succeed;
    }

    /// <summary>
    /// VMWRITE (SDM vol.3C §31.3 VMWRITE): exit-information fields are read-only (error 13, as
    /// IA32_VMX_MISC bit 29 is 0); a 16/32-bit field takes the low bits of the source; a high access
    /// replaces bits 63:32 of a 64-bit field and keeps the low half.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public VmxStatus Vmwrite(uint encoding, ulong value)
    {
        if (!InVmxOperation) return VmxStatus.InvalidOpcode;
        if (_vmcs is null) return VmxStatus.FailInvalid;
        var e = new VmcsFieldEncoding(encoding);
        int slot = Vmcs.SlotOf(encoding & ~1u);
        if (slot < 0 || IsBadHighAccess(encoding)) return VmFail(VmInstructionError.UnsupportedVmcsComponent);
        if (e.Type == VmcsFieldType.ExitInformation) return VmFail(VmInstructionError.VmwriteReadOnlyComponent);
        if (_guestStateCached && e.Type == VmcsFieldType.GuestState && !IsCheapGuestSlot(slot)) WriteBackGuestState();
        ref ulong f = ref _vmcs[slot];
        if (e.IsHighAccess) f = (uint)f | (value << 32);
        else f = e.Width switch
        {
            VmcsFieldWidth.Bits16 => (ushort)value,
            VmcsFieldWidth.Bits32 => (uint)value,
            _ => value,
        };
        NoteWrite(slot, e.Type);
        return VmxStatus.Succeed;
    }

    /// <summary>
    /// INVVPID (SDM vol.3C §31.3 INVVPID, §29.4.3.3). JitVirt's processor caches translations of the
    /// running guest only (the <see cref="JitVirt.Cpu.Cpu"/>'s software TLB and the executor's
    /// lookups tagged with <see cref="JitVirt.Cpu.Cpu.TranslationTag"/>), so an invalidation aimed at
    /// another VPID has nothing to drop; retaining globals is allowed to drop more (§29.4.4).
    /// </summary>
    public VmxStatus Invvpid(InvvpidType type, ushort vpid, ulong linearAddress)
    {
        if (!InVmxOperation) return VmxStatus.InvalidOpcode;
        if ((ulong)type > 3 || (type != InvvpidType.AllContexts && vpid == 0)
            || (type == InvvpidType.IndividualAddress && !JitVirt.Cpu.Cpu.IsCanonical(linearAddress)))
            return VmFail(VmInstructionError.InvalidOperandInveptInvvpid);
        InvvpidCount++;
        bool current = type == InvvpidType.AllContexts || vpid == _cpu.TranslationTag;
        if (!current) return VmSucceed();
        if (type == InvvpidType.IndividualAddress) _cpu.FlushTlbPage(linearAddress);
        else _cpu.FlushTlb();
        return VmSucceed();
    }

    /// <summary>How many INVVPIDs the VMM executed (for tests and statistics).</summary>
    public long InvvpidCount { get; private set; }

    /// <summary>Access type "high" is defined for 64-bit fields only (SDM vol.3C §25.11.2); the other reserved bits are rejected by the slot lookup.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static bool IsBadHighAccess(uint encoding) => (encoding & 1) != 0 && ((encoding >> 13) & 3) != (uint)VmcsFieldWidth.Bits64;

    bool IsValidRegionAddress(ulong address) => (address & 0xFFF) == 0 && Memory.Exists(address);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static VmxStatus VmSucceed() => VmxStatus.Succeed;

    /// <summary>VMfail (SDM vol.3C §31.2): VMfailValid with the error number when a VMCS is current, else VMfailInvalid.</summary>
    VmxStatus VmFail(VmInstructionError error)
    {
        if (_vmcs is null) return VmxStatus.FailInvalid;
        _vmcs[SlotInstructionError] = (uint)error;
        return VmxStatus.FailValid;
    }
}
