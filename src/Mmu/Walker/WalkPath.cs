using System.Runtime.CompilerServices;

namespace JitVirt.Mmu.Walker;

/// <summary>Why a walk ended.</summary>
public enum WalkStatus : byte
{
    /// <summary>The walk reached an entry that maps a page.</summary>
    Translated,

    /// <summary>An entry had P = 0 (the last one recorded).</summary>
    NotPresent,

    /// <summary>A present entry set a reserved bit (the last one recorded).</summary>
    ReservedBit,
}

/// <summary>Up to four values, one per paging-structure level.</summary>
[InlineArray(WalkPath.MaxEntries)]
public struct PathSlots
{
    ulong _slot0;
}

/// <summary>
/// The paging-structure entries a walk read, top level first, with their guest-physical
/// addresses (what the shadow MMU write-protects), and what the walk found. Plain data on the stack.
/// </summary>
public struct WalkPath
{
    /// <summary>4-level paging reads at most 4 entries (5-level paging is not implemented).</summary>
    public const int MaxEntries = 4;

    public PathSlots EntryAddresses;
    public PathSlots Entries;

    /// <summary>Number of entries read (including a final not-present or reserved one).</summary>
    public int Count;

    /// <summary>4 for 32-bit paging, 8 for PAE and 4-level paging.</summary>
    public int EntrySize;

    /// <summary>Index of the first entry that has an accessed flag: 1 for PAE paging (PDPTEs have none, Table 5-8), else 0.</summary>
    public int FirstEntryWithAccessedFlag;

    public WalkStatus Status;
    public PageRights Rights;

    /// <summary>Physical base of the page mapped (valid when <see cref="Status"/> is Translated).</summary>
    public ulong PageBase;

    /// <summary>Size in bytes of the page mapped: 4 KiB, 2 MiB or 4 MiB.</summary>
    public ulong PageSize;

    public void Begin(int entrySize, int firstEntryWithAccessedFlag)
    {
        EntrySize = entrySize;
        FirstEntryWithAccessedFlag = firstEntryWithAccessedFlag;
        Rights = PageRights.All;
    }

    public void Record(ulong entryAddress, ulong entry)
    {
        EntryAddresses[Count] = entryAddress;
        Entries[Count] = entry;
        Count++;
    }

    /// <summary>Folds the R/W, U/S and XD of an entry into the translation's rights (SDM vol.3 §5.6).</summary>
    public void Restrict(ulong entry) => Rights &= PageRightsOf.Entry(entry);

    public void MapPage(ulong pageBase, ulong pageSize)
    {
        Status = WalkStatus.Translated;
        PageBase = pageBase;
        PageSize = pageSize;
    }

    /// <summary>The entry that maps the page (PTE, or PDE with PS = 1).</summary>
    public readonly ulong LeafEntry => Entries[Count - 1];
}
