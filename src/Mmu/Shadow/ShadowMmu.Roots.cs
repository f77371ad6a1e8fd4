using JitVirt.Mmu.Walker;

namespace JitVirt.Mmu.Shadow;

// Roots: per tag, the recently used (CR3, role) pairs and the shadow page each one starts at,
// pinned while cached (KVM's root_count). Switching back to a cached CR3 costs a list lookup.
public sealed partial class ShadowMmu
{
    /// <summary>One cached root of a tag.</summary>
    sealed class RootSlot(uint tag, ulong cr3, ShadowPageRole role, ShadowPage page)
    {
        public readonly uint Tag = tag;
        public readonly ulong Cr3 = cr3;
        public readonly ShadowPageRole Role = role;
        public readonly ShadowPage Page = page;
        public long LastUsed;
    }

    readonly Dictionary<uint, List<RootSlot>> _roots = new();
    RootSlot? _current;
    long _clock;

    /// <summary>Root slots cached over every tag.</summary>
    public int CachedRoots
    {
        get { int n = 0; foreach (var list in _roots.Values) n += list.Count; return n; }
    }

    /// <summary>The root page for the current tag and the context's CR3 and paging controls.</summary>
    ShadowPage RootFor(in PagingContext context)
    {
        ShadowPageRole role = RootRole(in context);
        if (_current is { } c && c.Tag == CurrentTag && c.Cr3 == context.Cr3 && c.Role == role) return c.Page;
        return SwitchRoot(in context, role).Page;
    }

    /// <summary>
    /// The role of the top shadow table (KVM's mmu_alloc_roots): the PML4 with 4-level paging; the
    /// PDPT with PAE paging (quadrant: which 32-byte PDPT of the frame CR3[11:5] selects, §5.4.1);
    /// a metaphysical PAE-style root over the directory with 32-bit paging.
    /// </summary>
    static ShadowPageRole RootRole(in PagingContext context)
    {
        bool pse = context.PageSizeExtensions, nxe = (context.Efer & JitVirt.Cpu.State.Efer.NXE) != 0;
        return context.Mode switch
        {
            PagingMode.FourLevel => ShadowPageRole.Of(PagingMode.FourLevel, 4, 0, false, PageRights.All, pse, nxe),
            PagingMode.Pae => ShadowPageRole.Of(PagingMode.Pae, 3, (int)(context.Cr3 >> 5) & 0x7F, false, PageRights.All, pse, nxe),
            _ => ShadowPageRole.Of(PagingMode.ThirtyTwoBit, 3, 0, true, PageRights.All, pse, nxe),
        };
    }

    static ulong RootFrame(in PagingContext context) => context.Mode switch
    {
        PagingMode.FourLevel => (context.Cr3 & context.AddressMask) >> 12,
        PagingMode.Pae => (context.Cr3 & PagingContext.PaePdptBaseMask) >> 12,
        _ => (context.Cr3 & PagingContext.ThirtyTwoBitDirectoryBaseMask) >> 12,
    };

    RootSlot SwitchRoot(in PagingContext context, ShadowPageRole role)
    {
        uint tag = CurrentTag;
        if (!_roots.TryGetValue(tag, out var list)) _roots[tag] = list = new List<RootSlot>(MaxRootsPerTag);
        RootSlot? slot = null;
        foreach (var r in list)
            if (r.Cr3 == context.Cr3 && r.Role == role) { slot = r; break; }
        if (slot is not null)
        {
            Statistics.RootReuses++;
        }
        else
        {
            if (list.Count >= MaxRootsPerTag)
            {
                RootSlot oldest = list[0];
                foreach (var r in list) if (r.LastUsed < oldest.LastUsed) oldest = r;
                DropRootSlot(list, oldest);
            }
            ReclaimIfNeeded();
            ShadowPage page = GetPage(RootFrame(in context), role);
            page.RootCount++;
            slot = new RootSlot(tag, context.Cr3, role, page);
            list.Add(slot);
            Statistics.RootsCreated++;
        }
        slot.LastUsed = ++_clock;
        _current = slot;
        return slot;
    }

    /// <summary>Unpins a root slot's page; the page stays in the hash for reuse (coherent by write protection).</summary>
    void DropRootSlot(List<RootSlot> list, RootSlot slot)
    {
        list.Remove(slot);
        slot.Page.RootCount--;
        if (ReferenceEquals(_current, slot)) _current = null;
    }
}
