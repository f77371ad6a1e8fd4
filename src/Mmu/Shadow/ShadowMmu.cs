using JitVirt.Cpu.Memory;
using JitVirt.Mmu.Walker;
using CpuCore = JitVirt.Cpu.Cpu;

namespace JitVirt.Mmu.Shadow;

/// <summary>
/// Shadow MMU (KVM 2006: mmu.c + paging_tmpl.h): caches guest translations per address-space
/// tag (ASID/VPID; 0 for the plain CPU) and guest CR3 in <see cref="ShadowRoot"/>s filled
/// lazily from <see cref="GuestPageWalker.Walk"/>, and keeps them coherent by write-protecting
/// the guest's page-table frames (<see cref="PhysicalMemory.WatchPageTableFrame"/>): a write to
/// a guest entry zaps the shadow entries whose walk read it (<see cref="ReverseMap"/>).
/// </summary>
/// <remarks>
/// This slice's shadow structure is a flat dictionary per root, not shadow page tables a host
/// MMU could walk. Coherence across CR3 switches relies on every guest store to a page-table
/// frame reaching <see cref="PhysicalMemory.Write"/>: the CPU's software TLB must not give such
/// a frame a writable host pointer (it checks <see cref="PhysicalMemory.IsCodeFrame"/> today;
/// it must check <see cref="PhysicalMemory.IsWatchedFrame"/>).
/// </remarks>
public sealed partial class ShadowMmu : IAddressTranslator
{
    /// <summary>Roots cached per tag: the current one plus three previous (KVM_MMU_NUM_PREV_ROOTS).</summary>
    public const int MaxRootsPerTag = 4;

    const ulong Page4K = 1ul << 12;
    const ulong PageMask = ~(Page4K - 1);

    readonly PhysicalMemory _memory;
    readonly ReverseMap _rmap = new();
    readonly Dictionary<int, List<ShadowRoot>> _roots = new();
    readonly List<ShadowEntryRef> _scratch = new();
    readonly List<ulong> _pageScratch = new();
    ShadowRoot? _current;
    CpuCore? _cpu;
    long _clock;
    long _entriesInUse;

    /// <summary>True while this MMU's own walk sets accessed/dirty flags (those writes take no rights away).</summary>
    bool _walking;

    /// <summary>True while this MMU flushes the CPU's TLB itself, so the CPU's callback into <see cref="Invalidate"/> is ignored.</summary>
    bool _selfFlush;

    public ShadowMmu(PhysicalMemory memory, int maxPhysicalAddress = PagingContext.DefaultMaxPhysicalAddress)
    {
        _ = new PagingContext(0, 0, 0, 0, maxPhysicalAddress); // validates MAXPHYADDR
        _memory = memory;
        MaxPhysicalAddress = maxPhysicalAddress;
        memory.PageTableFrameWritten += OnPageTableFrameWritten;
    }

    public int MaxPhysicalAddress { get; }

    /// <summary>Address-space tag (ASID/VPID) translations are made for; set by the front ends, 0 for the plain CPU.</summary>
    public int CurrentTag { get; set; }

    public ShadowMmuStatistics Statistics { get; } = new();

    /// <summary>References held by the reverse map (page-table and data frames).</summary>
    public long ReverseMapEntries => _rmap.Count;

    /// <summary>Shadow entries in use over every root.</summary>
    public long ShadowEntriesInUse => _entriesInUse;

    /// <summary>Roots cached over every tag.</summary>
    public int CachedRoots
    {
        get { int n = 0; foreach (var list in _roots.Values) n += list.Count; return n; }
    }

    /// <summary>Guest frames currently write-protected because a shadow entry's walk read them.</summary>
    public int WatchedPageTableFrames => _rmap.PageTables.Count;

    public bool Translate(CpuCore cpu, ulong linear, AccessKind kind, bool user, out ulong physical, out uint pageFaultErrorCode)
    {
        _cpu = cpu;
        var context = new PagingContext(cpu.Cr0, cpu.Cr3, cpu.Cr4, cpu.Efer, MaxPhysicalAddress);
        if (context.Mode == PagingMode.None)
        {
            physical = linear & 0xFFFF_FFFF;
            pageFaultErrorCode = 0;
            return true;
        }
        ShadowRoot root = RootFor(in context);
        ulong page = PageOf(context.Mode, linear);
        if (root.Entries.TryGetValue(page, out ShadowPte pte)
            && (kind != AccessKind.Write || pte.Dirty)
            && AccessRights.Allow(pte.Rights, kind, user, context.WriteProtect))
        {
            Statistics.Hits++;
            physical = pte.GuestFrame | (linear & (Page4K - 1));
            pageFaultErrorCode = 0;
            return true;
        }
        return Fill(root, in context, linear, page, kind, user, out physical, out pageFaultErrorCode);
    }

    /// <summary>The shadow fault: walk the guest tables; cache the translation, or hand back the guest's #PF.</summary>
    bool Fill(ShadowRoot root, in PagingContext context, ulong linear, ulong page, AccessKind kind, bool user, out ulong physical, out uint pageFaultErrorCode)
    {
        WalkResult result;
        _walking = true;
        try { result = GuestPageWalker.Walk(_memory, in context, linear, kind, user); }
        finally { _walking = false; }

        // Whatever was cached for the page no longer describes the guest tables (or is being replaced).
        RemoveEntry(root, page);
        if (!result.Succeeded)
        {
            Statistics.GuestPageFaults++;
            physical = 0;
            pageFaultErrorCode = (uint)result.ErrorCode;
            return false;
        }
        Statistics.ShadowFaults++;
        WalkPath path = result.Path;
        var pte = new ShadowPte
        {
            GuestFrame = result.PhysicalAddress & PageMask,
            Rights = path.Rights,
            Dirty = (path.LeafEntry & PageTableEntry.Dirty) != 0,
            GuestPageSize = path.PageSize,
            PathCount = path.Count,
            EntrySize = path.EntrySize,
        };
        for (int i = 0; i < path.Count; i++) pte.PathEntries[i] = path.EntryAddresses[i];
        AddEntry(root, page, in pte);
        physical = result.PhysicalAddress;
        pageFaultErrorCode = 0;
        return true;
    }

    /// <summary>32-bit and PAE paging translate 32-bit linear addresses (SDM vol.3 §5.3, §5.4).</summary>
    static ulong PageOf(PagingMode mode, ulong linear) =>
        mode == PagingMode.FourLevel ? linear & PageMask : linear & 0xFFFF_F000;

    /// <summary>Large-page size of a mode: 4 MiB with 32-bit paging, 2 MiB otherwise (SDM vol.3 §5.3, §5.4, §5.5).</summary>
    static ulong LargePageSize(PagingMode mode) => mode == PagingMode.ThirtyTwoBit ? 1ul << 22 : 1ul << 21;
}
