using JitVirt.Mmu.Walker;

namespace JitVirt.Mmu.Shadow;

// Root selection and the per-root entry bookkeeping (rmap, watched frames, counters).
public sealed partial class ShadowMmu
{
    /// <summary>The root for the current tag and the context's CR3 and role; switching to a cached one is cheap.</summary>
    ShadowRoot RootFor(in PagingContext context)
    {
        var role = ShadowPageRole.Of(in context);
        if (_current is { } current && current.Matches(CurrentTag, context.Cr3, role)) return current;
        return SwitchRoot(CurrentTag, context.Cr3, role);
    }

    ShadowRoot SwitchRoot(int tag, ulong cr3, ShadowPageRole role)
    {
        if (!_roots.TryGetValue(tag, out var list)) _roots[tag] = list = new List<ShadowRoot>(MaxRootsPerTag);
        ShadowRoot? root = null;
        foreach (var r in list)
            if (r.Matches(tag, cr3, role)) { root = r; break; }
        if (root is not null)
        {
            Statistics.RootReuses++;
        }
        else
        {
            if (list.Count >= MaxRootsPerTag)
            {
                ShadowRoot oldest = list[0];
                foreach (var r in list) if (r.LastUsed < oldest.LastUsed) oldest = r;
                DropRoot(oldest);
            }
            root = new ShadowRoot(tag, cr3, role);
            list.Add(root);
            Statistics.RootsCreated++;
        }
        root.LastUsed = ++_clock;
        _current = root;
        return root;
    }

    void DropRoot(ShadowRoot root)
    {
        ClearRoot(root);
        if (_roots.TryGetValue(root.Tag, out var list)) list.Remove(root);
        if (ReferenceEquals(_current, root)) _current = null;
    }

    /// <summary>Drops every entry of <paramref name="root"/>, keeping the root itself.</summary>
    void ClearRoot(ShadowRoot root)
    {
        _pageScratch.Clear();
        foreach (ulong page in root.Entries.Keys) _pageScratch.Add(page);
        foreach (ulong page in _pageScratch) RemoveEntry(root, page);
        root.LargePageBases.Clear();
    }

    void AddEntry(ShadowRoot root, ulong page, in ShadowPte pte)
    {
        root.Entries[page] = pte;
        _entriesInUse++;
        var entry = new ShadowEntryRef(root, page);
        for (int i = 0; i < pte.PathCount; i++)
        {
            ulong frame = pte.PathEntries[i] >> 12;
            if (_rmap.Add(_rmap.PageTables, frame, entry) && _memory.WatchPageTableFrame(frame))
            {
                // The frame just became write-protected: a writable host pointer the CPU's TLB
                // already holds for it would let guest stores bypass PhysicalMemory.Write.
                _cpu?.Tlb.FlushWritesToFrame(frame);
            }
        }
        _rmap.Add(_rmap.Data, pte.GuestFrame >> 12, entry);
        if (pte.GuestPageSize > Page4K) root.LargePageBases.Add(page & ~(pte.GuestPageSize - 1));
    }

    /// <summary>Removes the entry for <paramref name="page"/> (if any) and its rmap references; unwatches frames no entry depends on any more.</summary>
    bool RemoveEntry(ShadowRoot root, ulong page)
    {
        if (!root.Entries.Remove(page, out ShadowPte pte)) return false;
        _entriesInUse--;
        var entry = new ShadowEntryRef(root, page);
        for (int i = 0; i < pte.PathCount; i++)
        {
            ulong frame = pte.PathEntries[i] >> 12;
            if (_rmap.Remove(_rmap.PageTables, frame, entry)) _memory.UnwatchPageTableFrame(frame);
        }
        _rmap.Remove(_rmap.Data, pte.GuestFrame >> 12, entry);
        return true;
    }
}
