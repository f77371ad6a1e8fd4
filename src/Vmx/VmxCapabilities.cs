namespace JitVirt.Vmx;

/// <summary>
/// The VMX capability MSRs (SDM vol.3C Appendix A) describing exactly what JitVirt's processor model
/// implements. A control field is valid when every allowed-0 bit (low dword) is 1 and no bit
/// outside allowed-1 (high dword) is 1 (SDM A.3–A.5; 2.6.20's vmcs_write32_fixedbits sets
/// <c>(desired &amp; high) | low</c>).
/// </summary>
public static class VmxCapabilities
{
    // MSR indices (SDM vol.4 Table 2-2).
    public const uint Ia32FeatureControl = 0x3A;
    public const uint Ia32VmxBasic = 0x480, Ia32VmxPinbasedCtls = 0x481, Ia32VmxProcbasedCtls = 0x482, Ia32VmxExitCtls = 0x483;
    public const uint Ia32VmxEntryCtls = 0x484, Ia32VmxMisc = 0x485, Ia32VmxCr0Fixed0 = 0x486, Ia32VmxCr0Fixed1 = 0x487;
    public const uint Ia32VmxCr4Fixed0 = 0x488, Ia32VmxCr4Fixed1 = 0x489, Ia32VmxVmcsEnum = 0x48A, Ia32VmxProcbasedCtls2 = 0x48B;
    public const uint Ia32VmxEptVpidCap = 0x48C;

    /// <summary>IA32_FEATURE_CONTROL bit 0 lock, bit 2 VMX outside SMX (SDM vol.3C §24.7).</summary>
    public const ulong FeatureControlLock = 1ul << 0, FeatureControlVmxOutsideSmx = 1ul << 2;

    /// <summary>JitVirt's VMCS revision identifier ("JV"): any value is architectural as long as VMX_BASIC reports it.</summary>
    public const uint RevisionId = 0x4A56;
    public const int VmcsRegionSize = 4096;

    /// <summary>
    /// IA32_VMX_BASIC (SDM A.1): bits 30:0 revision, 44:32 region size, 48 = 0 (no 32-bit address
    /// limit), 53:50 = 6 (write-back), 54 = 0 (no INS/OUTS instruction information), 55 = 0 (no
    /// TRUE_* control MSRs, as on 2006 parts: the default-1 controls cannot be cleared).
    /// </summary>
    public const ulong Basic = RevisionId | ((ulong)VmcsRegionSize << 32) | (6ul << 50);

    // Default-1 ("reserved, must be 1") bits of first-generation VT-x (SDM A.2; fact sheet B1).
    public const uint PinDefault1 = 0x0000_0016, ProcDefault1 = 0x0401_E172, ExitDefault1 = 0x0003_6DFF, EntryDefault1 = 0x0000_11FF;

    public const uint PinAllowed1 = PinDefault1 | PinControls.ExternalInterruptExiting | PinControls.NmiExiting;

    public const uint ProcAllowed1 = ProcDefault1 | ProcControls.InterruptWindowExiting | ProcControls.UseTscOffsetting
        | ProcControls.HltExiting | ProcControls.InvlpgExiting | ProcControls.MwaitExiting | ProcControls.RdpmcExiting
        | ProcControls.RdtscExiting | ProcControls.Cr3LoadExiting | ProcControls.Cr3StoreExiting | ProcControls.Cr8LoadExiting
        | ProcControls.Cr8StoreExiting | ProcControls.MovDrExiting | ProcControls.UnconditionalIoExiting
        | ProcControls.UseIoBitmaps | ProcControls.UseMsrBitmaps | ProcControls.MonitorExiting | ProcControls.PauseExiting
        | ProcControls.ActivateSecondaryControls;

    public const uint Proc2Allowed1 = SecondaryControls.EnableVpid | SecondaryControls.WbinvdExiting;
    public const uint ExitAllowed1 = ExitDefault1 | ExitControls.HostAddressSpaceSize | ExitControls.AcknowledgeInterruptOnExit;
    public const uint EntryAllowed1 = EntryDefault1 | EntryControls.Ia32eModeGuest;

    public const ulong PinbasedCtls = PinDefault1 | (ulong)PinAllowed1 << 32;
    public const ulong ProcbasedCtls = ProcDefault1 | (ulong)ProcAllowed1 << 32;
    public const ulong ProcbasedCtls2 = (ulong)Proc2Allowed1 << 32;
    public const ulong ExitCtls = ExitDefault1 | (ulong)ExitAllowed1 << 32;
    public const ulong EntryCtls = EntryDefault1 | (ulong)EntryAllowed1 << 32;

    /// <summary>Number of CR3-target values (IA32_VMX_MISC bits 24:16).</summary>
    public const int Cr3TargetValues = 4;

    /// <summary>
    /// IA32_VMX_MISC (SDM A.6): bit 5 exits store EFER.LMA into the "IA-32e mode guest" entry
    /// control, bit 6 activity state HLT supported, bits 24:16 four CR3-target values, bits 27:25 = 0
    /// (512 MSR-list entries recommended; JitVirt implements no MSR lists, so counts must be 0).
    /// </summary>
    public const ulong Misc = (1ul << 5) | (1ul << 6) | ((ulong)Cr3TargetValues << 16);

    /// <summary>
    /// CR0 fixed bits (SDM A.7): PE and NE must be 1. PG is *not* fixed, unlike on real parts: JitVirt's
    /// executor walks the guest's own page tables (the shadow MMU lives inside it, fact sheet Part D),
    /// so a paging-off guest needs no identity shadow tables. PE stays fixed, which is what forces
    /// real mode onto the virtual-8086 path as on 2006 hardware.
    /// </summary>
    public const ulong Cr0Fixed0 = 0x21, Cr0Fixed1 = 0xFFFF_FFFF;

    /// <summary>CR4 fixed bits (SDM A.8): VMXE must be 1; only the CR4 bits the CPU model implements may be 1.</summary>
    public const ulong Cr4Fixed0 = JitVirt.Cpu.State.Cr4.VMXE, Cr4Fixed1 = JitVirt.Cpu.State.Cr4.Supported;

    /// <summary>IA32_VMX_VMCS_ENUM (SDM A.9): bits 9:1 the highest field index (0x15: guest SYSENTER_CS, 0x482A).</summary>
    public const ulong VmcsEnum = 0x15 << 1;

    /// <summary>IA32_VMX_EPT_VPID_CAP (SDM A.10): INVVPID (bit 32) with types individual-address (40), single-context (41), all-context (42), single-context-retaining-globals (43); no EPT.</summary>
    public const ulong EptVpidCap = (1ul << 32) | (1ul << 40) | (1ul << 41) | (1ul << 42) | (1ul << 43);

    /// <summary>The value of capability MSR <paramref name="index"/>, or null for an index outside 0x480–0x48C.</summary>
    public static ulong? Read(uint index) => index switch
    {
        Ia32VmxBasic => Basic,
        Ia32VmxPinbasedCtls => PinbasedCtls,
        Ia32VmxProcbasedCtls => ProcbasedCtls,
        Ia32VmxExitCtls => ExitCtls,
        Ia32VmxEntryCtls => EntryCtls,
        Ia32VmxMisc => Misc,
        Ia32VmxCr0Fixed0 => Cr0Fixed0,
        Ia32VmxCr0Fixed1 => Cr0Fixed1,
        Ia32VmxCr4Fixed0 => Cr4Fixed0,
        Ia32VmxCr4Fixed1 => Cr4Fixed1,
        Ia32VmxVmcsEnum => VmcsEnum,
        Ia32VmxProcbasedCtls2 => ProcbasedCtls2,
        Ia32VmxEptVpidCap => EptVpidCap,
        _ => null,
    };

    /// <summary>True when <paramref name="control"/> respects the allowed-0/allowed-1 settings of <paramref name="capability"/>.</summary>
    public static bool Allows(ulong capability, uint control)
    {
        uint allowed0 = (uint)capability, allowed1 = (uint)(capability >> 32);
        return (control & allowed0) == allowed0 && (control & ~allowed1) == 0;
    }

    /// <summary>2.6.20's vmcs_write32_fixedbits rule: the desired bits the CPU allows, plus the bits it requires.</summary>
    public static uint Adjust(ulong capability, uint desired) => (desired & (uint)(capability >> 32)) | (uint)capability;

    /// <summary>A CR value respects FIXED0 (bits that must be 1) and FIXED1 (bits that may be 1) (SDM A.7/A.8).</summary>
    public static bool CrAllowed(ulong value, ulong fixed0, ulong fixed1) => (value & fixed0) == fixed0 && (value & ~fixed1) == 0;
}
