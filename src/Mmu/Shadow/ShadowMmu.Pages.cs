namespace JitVirt.Mmu.Shadow;

// Shadow-page bookkeeping: the (frame, role) hash, the per-frame lists write protection works on,
// the LRU list reclaim takes from, parent links, leaf sptes with their rmap, and zapping.
public sealed partial class ShadowMmu
{
    /// <summary>Reclaim starts when fewer than this many pages are left (KVM_MIN_FREE_MMU_PAGES = 5; a fault needs at most 4)...</summary>
    const int MinFreePages = 5;

    /// <summary>...and frees until this many are (KVM_REFILL_PAGES = 25).</summary>
    const int RefillPages = 25;

    readonly Dictionary<(ulong Frame, uint Role), ShadowPage> _hash = new();
    readonly Dictionary<ulong, List<ShadowPage>> _pagesByFrame = new();
    readonly ReverseMap _rmap = new();
    readonly Stack<ShadowPage> _freePages = new();
    readonly List<ShadowPage> _pageScratch = new();
    ShadowPage? _lruHead, _lruTail;

    /// <summary>A present spte was dropped since the CPU's TLB was last flushed by this MMU.</summary>
    bool _flushPending;

    /// <summary>The CPU's TLB may hold translations taken from the shadow tables (cleared when this MMU flushes it).</summary>
    bool _tlbMayHoldShadowEntries;

    /// <summary>KVM's kvm_mmu_get_page: the page for (frame, role) from the hash, or a new one (write-protecting the frame it shadows).</summary>
    ShadowPage GetPage(ulong frame, ShadowPageRole role)
    {
        if (_hash.TryGetValue((frame, role.Word), out var page)) return page;
        page = _freePages.Count != 0 ? _freePages.Pop() : new ShadowPage();
        page.GuestFrame = frame;
        page.Role = role;
        _hash.Add((frame, role.Word), page);
        LruAddHead(page);
        Statistics.PagesCreated++;
        if (!role.Metaphysical)
        {
            if (!_pagesByFrame.TryGetValue(frame, out var list)) _pagesByFrame[frame] = list = new List<ShadowPage>(1);
            list.Add(page);
            if (list.Count == 1) WriteProtect(frame);
        }
        return page;
    }

    /// <summary>KVM's rmap_write_protect: the frame now holds a shadowed table; no spte or CPU TLB entry may write it directly.</summary>
    void WriteProtect(ulong frame)
    {
        if (_memory.WatchPageTableFrame(frame)) _cpu?.Tlb.FlushWritesToFrame(frame);
        if (_rmap.Of(frame) is not { } sptes) return;
        foreach (var s in sptes) s.Page.Sptes[s.Index] &= ~ShadowPte.Writable;
    }

    void Link(ShadowPage parent, int index, ShadowPage child)
    {
        parent.Children![index] = child;
        parent.Sptes[index] = (child.GuestFrame << 12) & ShadowPte.FrameMask | ShadowPte.Present;
        parent.PresentCount++;
        child.Parents.Add(new ParentLink(parent, index));
    }

    /// <summary>Clears the link at <paramref name="index"/> of an upper-level page; the child stays in the hash (an orphan kept for reuse).</summary>
    void Unlink(ShadowPage parent, int index)
    {
        ShadowPage? child = parent.Children![index];
        if (child is null) return;
        child.Parents.Remove(new ParentLink(parent, index));
        parent.Children[index] = null;
        parent.Sptes[index] = 0;
        parent.PresentCount--;
        _flushPending = true;
    }

    void SetLeaf(ShadowPage page, int index, ulong spte)
    {
        ulong old = page.Sptes[index];
        bool flushWasPending = _flushPending;
        ClearLeaf(page, index);
        // Re-filling the same frame with at least the old rights (a write after a read, D now set)
        // leaves every translation the CPU's TLB took from the old spte valid: no flush for it.
        const ulong Rights = ShadowPte.Writable | ShadowPte.User;
        if (((old ^ spte) & ShadowPte.FrameMask) == 0 && (old & Rights & ~spte) == 0 && (spte & ShadowPte.NoExecute & ~old) == 0)
            _flushPending = flushWasPending;
        page.Sptes[index] = spte;
        page.PresentCount++;
        ShadowEntriesInUse++;
        _rmap.Add((spte & ShadowPte.FrameMask) >> 12, page, index);
    }

    /// <summary>Clears a leaf spte and its rmap reference; false when it was not present.</summary>
    bool ClearLeaf(ShadowPage page, int index)
    {
        ulong old = page.Sptes[index];
        if ((old & ShadowPte.Present) == 0) return false;
        _rmap.Remove((old & ShadowPte.FrameMask) >> 12, page, index);
        page.Sptes[index] = 0;
        page.PresentCount--;
        ShadowEntriesInUse--;
        _flushPending = true;
        return true;
    }

    /// <summary>Clears entry <paramref name="index"/> of any level; true when something was present.</summary>
    bool ClearEntry(ShadowPage page, int index)
    {
        if (page.Level == 1) return ClearLeaf(page, index);
        if (page.Children?[index] is null) return false;
        Unlink(page, index);
        return true;
    }

    /// <summary>
    /// KVM's kvm_mmu_zap_page: unlinks the page from its parents and its children, then frees it,
    /// unless a root slot pins it (then it stays, empty). A frame whose last shadow page goes is
    /// no longer write-protected.
    /// </summary>
    void ZapPage(ShadowPage page)
    {
        Statistics.PagesZapped++;
        if (page.PresentCount != 0)
            for (int i = 0; i < ShadowPage.EntryCount; i++) ClearEntry(page, i);
        while (page.Parents.Count != 0)
        {
            ParentLink link = page.Parents[^1];
            Unlink(link.Page, link.Index);
        }
        if (page.RootCount != 0) return;
        _hash.Remove((page.GuestFrame, page.Role.Word));
        LruRemove(page);
        if (!page.Role.Metaphysical && _pagesByFrame.TryGetValue(page.GuestFrame, out var list))
        {
            list.Remove(page);
            if (list.Count == 0)
            {
                _pagesByFrame.Remove(page.GuestFrame);
                _memory.UnwatchPageTableFrame(page.GuestFrame);
                // Slow-path write entries to the frame may become fast ones again on their next fill.
                if (!_memory.IsWatchedFrame(page.GuestFrame)) _cpu?.Tlb.FlushWritesToFrame(page.GuestFrame);
                Statistics.Unprotects++;
            }
        }
        _freePages.Push(page);
    }

    /// <summary>Before a fault may allocate: frees least recently used unpinned pages when the limit is near (KVM's free-page refill).</summary>
    void ReclaimIfNeeded()
    {
        if (_hash.Count < MaxShadowPages - MinFreePages) return;
        ShadowPage? page = _lruTail;
        while (page is not null && _hash.Count > MaxShadowPages - RefillPages)
        {
            ShadowPage? previous = page.LruPrevious;
            if (page.RootCount == 0)
            {
                ZapPage(page);
                Statistics.PagesRecycled++;
            }
            page = previous;
        }
    }

    void Touch(ShadowPage page)
    {
        if (ReferenceEquals(_lruHead, page)) return;
        LruRemove(page);
        LruAddHead(page);
    }

    void LruAddHead(ShadowPage page)
    {
        page.LruPrevious = null;
        page.LruNext = _lruHead;
        if (_lruHead is not null) _lruHead.LruPrevious = page;
        _lruHead = page;
        _lruTail ??= page;
    }

    void LruRemove(ShadowPage page)
    {
        if (page.LruPrevious is not null) page.LruPrevious.LruNext = page.LruNext;
        else if (ReferenceEquals(_lruHead, page)) _lruHead = page.LruNext;
        if (page.LruNext is not null) page.LruNext.LruPrevious = page.LruPrevious;
        else if (ReferenceEquals(_lruTail, page)) _lruTail = page.LruPrevious;
        page.LruPrevious = page.LruNext = null;
    }

    /// <summary>Flushes the CPU's software TLB when a present spte went and the TLB may hold translations taken from it.</summary>
    void FlushCpuTlbIfNeeded()
    {
        if (!_flushPending) return;
        _flushPending = false;
        if (!_tlbMayHoldShadowEntries || _cpu is null) return;
        Statistics.TlbFlushes++;
        FlushCpuTlb();
    }

    void FlushCpuTlb()
    {
        if (_cpu is null) return;
        _tlbMayHoldShadowEntries = false;
        _selfFlush = true;
        try { _cpu.FlushTlb(); }
        finally { _selfFlush = false; }
    }
}
