namespace JitVirt.Mmu.Walker;

/// <summary>The #PF error code (SDM vol.3 §5.7, Figure 5-12). Bits 5 and up (PK, SS, HLAT, SGX) are never set: those features are not implemented.</summary>
[Flags]
public enum PageFaultErrorCode : uint
{
    /// <summary>Not-present fault, read, supervisor mode.</summary>
    None = 0,

    /// <summary>P (bit 0): 0 = the fault was caused by a non-present page; 1 = by a page-level protection violation or a reserved bit.</summary>
    Present = 1u << 0,

    /// <summary>W/R (bit 1): the access was a write (0 for reads and instruction fetches).</summary>
    Write = 1u << 1,

    /// <summary>U/S (bit 2): the access was a user-mode access. Describes the access, not the page.</summary>
    User = 1u << 2,

    /// <summary>RSVD (bit 3): a reserved bit was set in a paging-structure entry; only together with P.</summary>
    ReservedBit = 1u << 3,

    /// <summary>
    /// I/D (bit 4): the access was an instruction fetch. Reported only when CR4.PAE = 1 and
    /// IA32_EFER.NXE = 1 (or CR4.SMEP = 1, not implemented); 0 otherwise (SDM vol.3 §5.7).
    /// </summary>
    InstructionFetch = 1u << 4,
}
