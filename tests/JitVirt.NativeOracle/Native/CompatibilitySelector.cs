namespace JitVirt.NativeOracle.Native;

/// <summary>
/// Finds a 32-bit user code segment to far-jump to for compatibility mode. Linux normally provides
/// __USER32_CS (0x23) in the GDT, but not when IA-32 emulation is disabled or under some hypervisors
/// (for example this project's PVM-based machines, where neither the GDT entry nor LDT segments are
/// visible to the hardware). Candidates are verified with LAR, which reports a selector's access rights
/// from CPL 3 (SDM vol. 2A LAR: ZF = 1 only if the selector is valid and visible).
/// </summary>
internal static unsafe class CompatibilitySelector
{
    /// <summary>LDT entry 0 with TI = 1 and RPL = 3 (SDM vol. 3A §3.4.2: index 0, TI bit 2, RPL bits 0–1).</summary>
    private const ushort LdtEntry0Selector = 0x7;

    // Access-rights bits as LAR returns them (SDM vol. 2A LAR, Figure "access rights"; vol. 3A §3.4.5):
    private const uint CodeSegment = 1u << 11;       // type bit 3: code
    private const uint DescriptorTypeS = 1u << 12;   // S = 1: code/data
    private const uint DplMask = 3u << 13;           // DPL must be 3
    private const uint Present = 1u << 15;
    private const uint LongModeL = 1u << 21;         // L = 1 would be 64-bit code
    private const uint DefaultSizeD = 1u << 22;      // D = 1: 32-bit default operand/address size

    /// <summary>LAR EAX, ECX (0F 02 /r with ModRM C1).</summary>
    private static readonly byte[] LarEaxEcx = [0x0F, 0x02, 0xC1];

    /// <summary>Returns a usable 32-bit code selector, or 0 if compatibility mode cannot be entered.</summary>
    /// <param name="probe">Runs 64-bit code in the executor being built.</param>
    public static ushort Find(Func<byte[], OracleState, OracleState> probe, OracleLayout layout)
    {
        if (IsCompat32Code(probe, layout, LinuxSignalFrame.User32CodeSelector)) return LinuxSignalFrame.User32CodeSelector;
        if (InstallLdtCodeSegment() && IsCompat32Code(probe, layout, LdtEntry0Selector)) return LdtEntry0Selector;
        return 0;
    }

    private static bool IsCompat32Code(Func<byte[], OracleState, OracleState> probe, OracleLayout layout, ushort selector)
    {
        var state = new OracleState(layout);
        state.Gpr[GprIndex.Rcx] = selector;
        state = probe(LarEaxEcx, state);
        if (state.Faulted || (state.Rflags & X86Flags.ZF) == 0) return false;
        uint rights = (uint)state.Gpr[GprIndex.Rax];
        const uint wanted = CodeSegment | DescriptorTypeS | DplMask | Present | DefaultSizeD;
        return (rights & (wanted | LongModeL)) == wanted;
    }

    /// <summary>Writes a flat 4 GiB 32-bit code segment to LDT entry 0 (as Wine does). A process-wide
    /// change, but the LDT is otherwise unused by .NET.</summary>
    private static bool InstallLdtCodeSegment()
    {
        var descriptor = new LibC.UserDesc
        {
            EntryNumber = 0,
            BaseAddress = 0,
            Limit = 0xFFFFF,                           // with limit_in_pages: 4 GiB
            Flags = 1u << 0 | 2u << 1 | 1u << 4 | 1u << 6, // seg_32bit, contents = code, limit_in_pages, useable
        };
        return LibC.Syscall(LibC.SysModifyLdt, 1, &descriptor, sizeof(LibC.UserDesc)) == 0;
    }
}
