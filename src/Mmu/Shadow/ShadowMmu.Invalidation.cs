using JitVirt.Mmu.Walker;
using CpuCore = JitVirt.Cpu.Cpu;

namespace JitVirt.Mmu.Shadow;

// Flush events. The shadow tables are kept coherent by write protection, so TLB-level events
// (CR3 loads, paging-control changes, tag flushes) only choose or unpin roots; as in KVM, shadow
// pages survive them. INVLPG still drops the page's shadow translation (later KVM's invlpg).
public sealed partial class ShadowMmu
{
    /// <summary>
    /// INVLPG (<paramref name="linearPage"/> set): clears the page's leaf spte in the current root,
    /// or the link to the split of a guest large page containing it (every 4 KiB piece goes, SDM
    /// vol.3 §5.10.4.1). CR3 load or paging-control change (null): switches to the root for the
    /// new CR3 and role, reusing a cached one.
    /// </summary>
    public void Invalidate(CpuCore cpu, ulong? linearPage)
    {
        _cpu = cpu;
        if (_selfFlush) return;
        Statistics.Flushes++;
        // A CPU TLB flush (null) empties the TLB before this call.
        if (linearPage is null) _tlbMayHoldShadowEntries = false;
        var context = new PagingContext(cpu.Cr0, cpu.Cr3, cpu.Cr4, cpu.Efer, MaxPhysicalAddress);
        if (context.Mode == PagingMode.None)
        {
            _current = null;
            return;
        }
        ShadowPage root = RootFor(in context);
        if (linearPage is ulong page) InvalidatePage(root, context.Mode == PagingMode.FourLevel ? page : page & 0xFFFF_FFFF);
    }

    void InvalidatePage(ShadowPage root, ulong linear)
    {
        ShadowPage page = root;
        for (int level = root.Level; level > 1; level--)
        {
            int index = IndexAt(linear, level);
            ShadowPage? child = page.Children?[index];
            if (child is null) return;
            if (child.Role.Metaphysical && level == 2)
            {
                Unlink(page, index);
                _flushPending = false; // the CPU flushes the page itself
                return;
            }
            page = child;
        }
        ClearLeaf(page, IndexAt(linear, 1));
        _flushPending = false;
    }

    /// <summary>Drops every cached root of <paramref name="tag"/> (a VPID/ASID flush); the shadow pages stay for reuse.</summary>
    public void FlushTag(uint tag)
    {
        Statistics.Flushes++;
        if (_roots.TryGetValue(tag, out var list))
        {
            while (list.Count != 0) DropRootSlot(list, list[^1]);
            _roots.Remove(tag);
        }
        if (tag == CurrentTag) FlushCpuTlb();
    }

    /// <summary>Drops every root and zaps every shadow page (nothing stays write-protected), e.g. at machine reset.</summary>
    public void FlushAll()
    {
        Statistics.Flushes++;
        foreach (var list in _roots.Values)
            while (list.Count != 0) DropRootSlot(list, list[^1]);
        _roots.Clear();
        _current = null;
        _pageScratch.Clear();
        _pageScratch.AddRange(_hash.Values);
        foreach (var page in _pageScratch) ZapPage(page);
        _flushPending = false;
        FlushCpuTlb();
    }
}
