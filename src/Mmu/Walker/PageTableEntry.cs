namespace JitVirt.Mmu.Walker;

/// <summary>
/// Flag bits of paging-structure entries, common to every paging mode (SDM vol.3 §5.3 Tables 5-4
/// to 5-6, §5.4 Tables 5-8 to 5-11, §5.5 Tables 5-15 to 5-20). 32-bit paging entries are the low
/// 32 bits of the same layout (they have no XD bit).
/// </summary>
public static class PageTableEntry
{
    /// <summary>P (bit 0): the entry is used; when 0 every other bit is ignored (SDM vol.3 §5.7).</summary>
    public const ulong Present = 1ul << 0;

    /// <summary>R/W (bit 1): 0 forbids writes to the region the entry controls (SDM vol.3 §5.6).</summary>
    public const ulong ReadWrite = 1ul << 1;

    /// <summary>U/S (bit 2): 0 makes the region a supervisor-mode address (SDM vol.3 §5.6).</summary>
    public const ulong UserSupervisor = 1ul << 2;

    /// <summary>PWT (bit 3): page-level write-through (memory typing only, SDM vol.3 §5.9).</summary>
    public const ulong PageWriteThrough = 1ul << 3;

    /// <summary>PCD (bit 4): page-level cache disable (memory typing only, SDM vol.3 §5.9).</summary>
    public const ulong PageCacheDisable = 1ul << 4;

    /// <summary>A (bit 5): set by the processor when the entry is used for a translation (SDM vol.3 §5.8).</summary>
    public const ulong Accessed = 1ul << 5;

    /// <summary>D (bit 6): set by the processor on a write through an entry that maps a page (SDM vol.3 §5.8).</summary>
    public const ulong Dirty = 1ul << 6;

    /// <summary>PS (bit 7) of a PDE or PDPTE: the entry maps a page instead of referencing a table.</summary>
    public const ulong PageSize = 1ul << 7;

    /// <summary>PAT (bit 7) of a PTE that maps a 4-KByte page (Tables 5-6, 5-11, 5-20).</summary>
    public const ulong PageAttributeTable4K = 1ul << 7;

    /// <summary>G (bit 8) of an entry that maps a page: global translation if CR4.PGE = 1 (TLB only, SDM vol.3 §5.10).</summary>
    public const ulong Global = 1ul << 8;

    /// <summary>PAT (bit 12) of an entry that maps a 2-MByte or 4-MByte page (Tables 5-4, 5-9, 5-18).</summary>
    public const ulong PageAttributeTableLarge = 1ul << 12;

    /// <summary>XD (bit 63): execute-disable if IA32_EFER.NXE = 1, reserved otherwise (PAE and 4-level paging only).</summary>
    public const ulong ExecuteDisable = 1ul << 63;
}
