namespace JitVirt.Cpu.Platform;

/// <summary>The vendor the guest sees; the fast-system-call instructions follow its rules.</summary>
public enum CpuVendor { Intel, Amd }

/// <summary>One CPUID answer.</summary>
public readonly record struct CpuidResult(uint Eax, uint Ebx, uint Ecx, uint Edx);

/// <summary>
/// The CPUID leaves the guest sees (SDM vol.2 CPUID; APM vol.3 Appendix E). They describe exactly
/// what JitVirt implements: no feature bit is set for something that is not. The model is a
/// 2006-era Intel part: family 6, model 15, stepping 6 (a 65 nm Core 2, signature 0x6F6), with
/// x86-64 (LM), NX, SYSCALL in 64-bit mode, SYSENTER, PAE, PSE, PGE, PAT, MTRR, local APIC.
/// </summary>
public sealed partial class CpuidModel
{
    /// <summary>Family 6, model 15 (0xF), stepping 6 (SDM vol.2 CPUID Figure 3-6 layout).</summary>
    public const uint Signature = 0x0000_06F6;

    /// <summary>EDX after RESET holds the processor signature (family/model/stepping; SDM vol.3 §10.1.3).</summary>
    public const ulong ResetEdx = Signature;

    public const uint MaxBasicLeaf = 1;
    public const uint MaxExtendedLeaf = 0x8000_0008;

    /// <summary>MAXPHYADDR and linear-address width reported by leaf 0x80000008.</summary>
    public const int PhysicalAddressBits = 36, LinearAddressBits = 48;

    public CpuVendor Vendor { get; set; } = CpuVendor.Intel;

    // ------------------------------------------------------------------ leaf 1 feature bits (SDM vol.2 Table 3-10 and 3-11)

    /// <summary>Leaf 1 EDX bits.</summary>
    public static class Edx1
    {
        public const uint FPU = 1u << 0, VME = 1u << 1, DE = 1u << 2, PSE = 1u << 3, TSC = 1u << 4, MSR = 1u << 5;
        public const uint PAE = 1u << 6, MCE = 1u << 7, CX8 = 1u << 8, APIC = 1u << 9, SEP = 1u << 11, MTRR = 1u << 12;
        public const uint PGE = 1u << 13, MCA = 1u << 14, CMOV = 1u << 15, PAT = 1u << 16, PSE36 = 1u << 17, CLFSH = 1u << 19;
        public const uint MMX = 1u << 23, FXSR = 1u << 24, SSE = 1u << 25, SSE2 = 1u << 26;
    }

    /// <summary>Leaf 1 ECX bits.</summary>
    public static class Ecx1
    {
        public const uint SSE3 = 1u << 0, VMX = 1u << 5, CX16 = 1u << 13, POPCNT = 1u << 23;
    }

    /// <summary>Leaf 0x80000001 EDX/ECX bits (SDM vol.2 Table 3-8; APM vol.3 §E.4.2).</summary>
    public static class Ext1
    {
        public const uint EdxSYSCALL = 1u << 11, EdxNX = 1u << 20, EdxRDTSCP = 1u << 27, EdxLM = 1u << 29;
        public const uint EcxLahfSahf = 1u << 0, EcxSVM = 1u << 2;
    }

    /// <summary>
    /// Core features JitVirt implements: DE (CR4.DE, DR4/DR5 rules), PSE, TSC, MSR, PAE, MCE +
    /// MCA (with zero banks), CX8, APIC, SEP, MTRR (storage), PGE, CMOV, PAT, CLFSH (CLFLUSH, in
    /// Semantics/Sse/SimdMove.cs). Not PSE-36 (the page walker has no 4 MiB pages above 4 GiB).
    /// </summary>
    public const uint ImplementedEdx1 = Edx1.DE | Edx1.PSE | Edx1.TSC | Edx1.MSR | Edx1.PAE | Edx1.MCE | Edx1.CX8
        | Edx1.APIC | Edx1.SEP | Edx1.MTRR | Edx1.PGE | Edx1.MCA | Edx1.CMOV | Edx1.PAT | Edx1.CLFSH;

    public const uint ImplementedEcx1 = Ecx1.CX16;

    /// <summary>
    /// x87 / MMX / SSE / SSE2 feature bits (the x87/SSE family in Semantics/X87 and Semantics/Sse):
    /// FPU, MMX, FXSR, SSE, SSE2 — the x86-64 baseline. No SSE3 or later: not implemented.
    /// </summary>
    public uint FloatingPointEdx1 { get; set; } = Edx1.FPU | Edx1.MMX | Edx1.FXSR | Edx1.SSE | Edx1.SSE2;
    public uint FloatingPointEcx1 { get; set; } = 0;

    // ------------------------------------------------------------------ hooks for the virtualization front ends

    /// <summary>Set by the VMX front end: leaf 1 ECX.VMX (and CR4.VMXE becomes writable).</summary>
    public bool Vmx { get; set; }

    /// <summary>Set by the SVM front end: leaf 0x80000001 ECX.SVM and leaf 0x8000000A (<see cref="SvmLeaf"/>).</summary>
    public bool Svm { get; set; }

    /// <summary>Leaf 0x8000000A when <see cref="Svm"/> is set (revision, ASIDs, feature bits).</summary>
    public CpuidResult SvmLeaf { get; set; }

    /// <summary>A front end may answer any leaf itself; return null to keep the model's answer.</summary>
    public Func<uint, uint, CpuidResult?>? Override { get; set; }

    public uint Leaf1Edx => ImplementedEdx1 | FloatingPointEdx1;
    public uint Leaf1Ecx => ImplementedEcx1 | FloatingPointEcx1 | (Vmx ? Ecx1.VMX : 0);
    public bool HasFxsr => (Leaf1Edx & Edx1.FXSR) != 0;
    public bool HasSse => (Leaf1Edx & Edx1.SSE) != 0;
    public bool HasRdtscp => true;
    public bool HasNx => true;

    const string BrandString = "JitVirt x86-64 CPU (Core 2 class)";

    /// <summary>
    /// Answers CPUID for <paramref name="leaf"/>/<paramref name="subleaf"/>.
    /// <paramref name="in64BitMode"/>: Intel reports SYSCALL in 0x80000001 only in 64-bit mode (SDM vol.2 Table 3-8).
    /// </summary>
    public CpuidResult Query(uint leaf, uint subleaf, bool in64BitMode)
    {
        if (Override?.Invoke(leaf, subleaf) is { } forced) return forced;
        uint maxExtended = Svm ? Math.Max(MaxExtendedLeaf, 0x8000_000A) : MaxExtendedLeaf;
        // Beyond the highest leaf: Intel answers with the highest basic leaf (SDM vol.2 CPUID, "INPUT EAX = 0").
        if (leaf < 0x8000_0000 ? leaf > MaxBasicLeaf : leaf > maxExtended)
            return Vendor == CpuVendor.Intel ? Query(MaxBasicLeaf, 0, in64BitMode) : default;
        switch (leaf)
        {
            case 0:
                return VendorLeaf(MaxBasicLeaf);
            case 1:
                // EBX: brand index 0, CLFLUSH line size 8 × 8 = 64 bytes (bits 15:8), 1 logical processor, initial APIC ID 0.
                return new CpuidResult(Signature, 0x0001_0800, Leaf1Ecx, Leaf1Edx);
            case 0x8000_0000:
                return Vendor == CpuVendor.Intel ? new CpuidResult(maxExtended, 0, 0, 0) : VendorLeaf(maxExtended);
            case 0x8000_0001:
            {
                uint edx = Ext1.EdxNX | Ext1.EdxLM | (HasRdtscp ? Ext1.EdxRDTSCP : 0);
                if (Vendor == CpuVendor.Amd || in64BitMode) edx |= Ext1.EdxSYSCALL;
                uint ecx = Ext1.EcxLahfSahf | (Svm ? Ext1.EcxSVM : 0);
                return new CpuidResult(Vendor == CpuVendor.Amd ? Signature : 0, 0, ecx, edx);
            }
            case 0x8000_0002:
            case 0x8000_0003:
            case 0x8000_0004:
                return BrandLeaf((int)(leaf - 0x8000_0002));
            case 0x8000_0008:
                return new CpuidResult((uint)(LinearAddressBits << 8 | PhysicalAddressBits), 0, 0, 0);
            case 0x8000_000A:
                return SvmLeaf;
            default:
                return default; // 0x80000005-7: reserved/zero on this model
        }
    }

    CpuidResult VendorLeaf(uint max) => Vendor == CpuVendor.Intel
        ? new CpuidResult(max, Ascii("Genu"), Ascii("ntel"), Ascii("ineI"))
        : new CpuidResult(max, Ascii("Auth"), Ascii("cAMD"), Ascii("enti"));

    static CpuidResult BrandLeaf(int part)
    {
        Span<byte> bytes = stackalloc byte[48];
        bytes.Clear();
        System.Text.Encoding.ASCII.GetBytes(BrandString, bytes);
        var s = bytes.Slice(part * 16, 16);
        return new CpuidResult(BitConverter.ToUInt32(s), BitConverter.ToUInt32(s[4..]), BitConverter.ToUInt32(s[8..]), BitConverter.ToUInt32(s[12..]));
    }

    static uint Ascii(string four) => (uint)(four[0] | four[1] << 8 | four[2] << 16 | four[3] << 24);
}
