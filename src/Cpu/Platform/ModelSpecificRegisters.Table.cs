namespace JitVirt.Cpu.Platform;

/// <summary>One implemented MSR: its index, name, where the manuals define it, and how it is read and written.</summary>
public sealed record MsrDefinition(uint Index, string Name, string Manual, Func<ulong> Read, Func<ulong, bool>? Write);

/// <summary>The MSR table. A write delegate returns false to refuse the value (#GP(0)); no delegate = read-only.</summary>
public sealed partial class ModelSpecificRegisters
{
    public const uint TimeStampCounter = 0x10, PlatformId = 0x17, ApicBaseMsr = 0x1B, FeatureControlMsr = 0x3A;
    public const uint BiosSignIdMsr = 0x8B, MtrrCap = 0xFE;
    public const uint SysenterCsMsr = 0x174, SysenterEspMsr = 0x175, SysenterEipMsr = 0x176;
    public const uint McgCap = 0x179, McgStatusMsr = 0x17A, MiscEnableMsr = 0x1A0;
    public const uint MtrrPhysBase0 = 0x200, MtrrFix64K00000 = 0x250, MtrrFix16K80000 = 0x258, MtrrFix16KA0000 = 0x259;
    public const uint MtrrFix4KC0000 = 0x268, PatMsr = 0x277, MtrrDefTypeMsr = 0x2FF;
    public const uint EferMsr = 0xC000_0080, StarMsr = 0xC000_0081, LstarMsr = 0xC000_0082, CstarMsr = 0xC000_0083;
    public const uint SfmaskMsr = 0xC000_0084, FsBase = 0xC000_0100, GsBase = 0xC000_0101, KernelGsBaseMsr = 0xC000_0102;
    public const uint TscAuxMsr = 0xC000_0103;

    /// <summary>IA32_MISC_ENABLE at reset: fast strings (bit 0), BTS and PEBS unavailable (bits 11, 12) (SDM vol.4 Table 2-2).</summary>
    public const ulong MiscEnableReset = 0x1801;
    /// <summary>IA32_MTRRCAP: 8 variable ranges, fixed ranges (bit 8), write-combining (bit 10) (SDM vol.3 §13.11.2.1).</summary>
    public const ulong MtrrCapValue = 0x508;

    readonly Dictionary<uint, MsrDefinition> _table = new();

    static readonly ulong PhysicalAddressMask = (1ul << CpuidModel.PhysicalAddressBits) - 1;

    void Add(uint index, string name, string manual, Func<ulong> read, Func<ulong, bool>? write = null)
        => _table.Add(index, new MsrDefinition(index, name, manual, read, write));

    void BuildTable()
    {
        Add(TimeStampCounter, "IA32_TIME_STAMP_COUNTER", "SDM vol.3 §19.17; vol.4 Table 2-2",
            () => Tsc, v => { Tsc = v; return true; });
        Add(PlatformId, "IA32_PLATFORM_ID", "SDM vol.4 Table 2-2 (read-only; platform 0)", () => 0);
        Add(ApicBaseMsr, "IA32_APIC_BASE", "SDM vol.3 §12.4.4, Figure 12-5", () => ApicBase, WriteApicBase);
        Add(FeatureControlMsr, "IA32_FEATURE_CONTROL", "SDM vol.3 §24.7 (lock bit 0; VMX enables bits 1-2)",
            () => FeatureControl, v =>
            {
                if ((FeatureControl & 1) != 0 || (v & ~7ul) != 0) return false;
                FeatureControl = v;
                return true;
            });
        Add(BiosSignIdMsr, "IA32_BIOS_SIGN_ID", "SDM vol.3 §11.11.7.1 (microcode revision in bits 63:32)",
            () => BiosSignId, v => { BiosSignId = v; return true; });
        Add(MtrrCap, "IA32_MTRRCAP", "SDM vol.3 §13.11.2.1, Figure 13-5 (read-only)", () => MtrrCapValue);
        Add(SysenterCsMsr, "IA32_SYSENTER_CS", "SDM vol.3 §5.8.7.1", () => SysenterCs, v => { SysenterCs = v & 0xFFFF_FFFF; return true; });
        Add(SysenterEspMsr, "IA32_SYSENTER_ESP", "SDM vol.3 §5.8.7.1 (canonical)", () => SysenterEsp, v => SetCanonical(ref SysenterEsp, v));
        Add(SysenterEipMsr, "IA32_SYSENTER_EIP", "SDM vol.3 §5.8.7.1 (canonical)", () => SysenterEip, v => SetCanonical(ref SysenterEip, v));
        Add(McgCap, "IA32_MCG_CAP", "SDM vol.3 §17.3.1.1 (read-only; zero banks)", () => 0);
        Add(McgStatusMsr, "IA32_MCG_STATUS", "SDM vol.3 §17.3.1.2 (RIPV, EIPV, MCIP)", () => McgStatus, v =>
        {
            if ((v & ~7ul) != 0) return false;
            McgStatus = v;
            return true;
        });
        Add(MiscEnableMsr, "IA32_MISC_ENABLE", "SDM vol.4 Table 2-2 (bits 11, 12 read-only 1)", () => MiscEnable, v =>
        {
            MiscEnable = v | 0x1800;
            return true;
        });
        for (uint k = 0; k < 16; k++)
        {
            uint slot = k;
            bool isMask = (k & 1) != 0;
            Add(MtrrPhysBase0 + k, isMask ? $"IA32_MTRR_PHYSMASK{k / 2}" : $"IA32_MTRR_PHYSBASE{k / 2}", "SDM vol.3 §13.11.2.3, Figure 13-7",
                () => MtrrVariable[slot], v =>
                {
                    ulong allowed = (PhysicalAddressMask & ~0xFFFul) | (isMask ? 1ul << 11 : 0xFFul);
                    if ((v & ~allowed) != 0 || (!isMask && !IsMtrrType(v & 0xFF))) return false;
                    MtrrVariable[slot] = v;
                    return true;
                });
        }
        uint[] fixedIndices = { MtrrFix64K00000, MtrrFix16K80000, MtrrFix16KA0000, 0x268, 0x269, 0x26A, 0x26B, 0x26C, 0x26D, 0x26E, 0x26F };
        string[] fixedNames = { "64K_00000", "16K_80000", "16K_A0000", "4K_C0000", "4K_C8000", "4K_D0000", "4K_D8000", "4K_E0000", "4K_E8000", "4K_F0000", "4K_F8000" };
        for (int k = 0; k < fixedIndices.Length; k++)
        {
            int slot = k;
            Add(fixedIndices[k], "IA32_MTRR_FIX" + fixedNames[k], "SDM vol.3 §13.11.2.2, Table 13-9", () => MtrrFixed[slot], v =>
            {
                for (int b = 0; b < 8; b++) if (!IsMtrrType((v >> (8 * b)) & 0xFF)) return false;
                MtrrFixed[slot] = v;
                return true;
            });
        }
        Add(PatMsr, "IA32_PAT", "SDM vol.3 §13.12.2, Table 13-10", () => Pat, v =>
        {
            for (int b = 0; b < 8; b++)
            {
                ulong t = (v >> (8 * b)) & 0xFF;
                if (t is 2 or 3 || t > 7) return false;
            }
            Pat = v;
            return true;
        });
        Add(MtrrDefTypeMsr, "IA32_MTRR_DEF_TYPE", "SDM vol.3 §13.11.2.1, Figure 13-6", () => MtrrDefType, v =>
        {
            if ((v & ~0xCFFul) != 0 || !IsMtrrType(v & 0xFF)) return false;
            MtrrDefType = v;
            return true;
        });
        Add(EferMsr, "IA32_EFER", "SDM vol.3 §2.2.1, Figure 2-4; APM vol.2 §3.1.7", ReadEfer, WriteEfer);
        Add(StarMsr, "IA32_STAR", "SDM vol.3 §5.8.8; APM vol.2 §6.1.1", () => Star, v => { Star = v; return true; });
        Add(LstarMsr, "IA32_LSTAR", "SDM vol.3 §5.8.8 (canonical)", () => Lstar, v => SetCanonical(ref Lstar, v));
        Add(CstarMsr, "IA32_CSTAR", "SDM vol.3 §5.8.8; APM vol.2 §6.1.1 (compatibility-mode SYSCALL target)", () => Cstar, v => SetCanonical(ref Cstar, v));
        Add(SfmaskMsr, "IA32_FMASK", "SDM vol.3 §5.8.8 (bits 63:32 reserved)", () => Sfmask, v =>
        {
            if ((v >> 32) != 0) return false;
            Sfmask = v;
            return true;
        });
        Add(FsBase, "IA32_FS_BASE", "SDM vol.3 §3.4.4.1 (canonical)",
            () => _cpu.Segments[State.SegmentIndex.Fs].Base, v => SetCanonical(ref _cpu.Segments[State.SegmentIndex.Fs].Base, v));
        Add(GsBase, "IA32_GS_BASE", "SDM vol.3 §3.4.4.1 (canonical)",
            () => _cpu.Segments[State.SegmentIndex.Gs].Base, v => SetCanonical(ref _cpu.Segments[State.SegmentIndex.Gs].Base, v));
        Add(KernelGsBaseMsr, "IA32_KERNEL_GS_BASE", "SDM vol.2 SWAPGS (canonical)", () => KernelGsBase, v => SetCanonical(ref KernelGsBase, v));
        Add(TscAuxMsr, "IA32_TSC_AUX", "SDM vol.2 RDTSCP (bits 63:32 reserved)", () => TscAux, v =>
        {
            if ((v >> 32) != 0) return false;
            TscAux = v;
            return true;
        });
    }

    /// <summary>IA32_APIC_BASE: BSP (8), enable (11), base 35:12; bit 10 (x2APIC) and the rest reserved.</summary>
    bool WriteApicBase(ulong v)
    {
        ulong allowed = (1ul << 8) | (1ul << 11) | (PhysicalAddressMask & ~0xFFFul);
        if ((v & ~allowed) != 0) return false;
        ApicBase = v;
        ApicBaseChanged?.Invoke(v);
        return true;
    }

    static bool SetCanonical(ref ulong field, ulong v)
    {
        if (!Cpu.IsCanonical(v)) return false;
        field = v;
        return true;
    }

    /// <summary>Memory types valid in MTRRs: UC 0, WC 1, WT 4, WP 5, WB 6 (SDM vol.3 §13.11.1, Table 13-8).</summary>
    static bool IsMtrrType(ulong t) => t is 0 or 1 or 4 or 5 or 6;
}
