using JitVirt.Mmu.Walker;
using CpuCore = JitVirt.Cpu.Cpu;

namespace JitVirt.Mmu.Shadow;

// Flush events: INVLPG, CR3 loads and paging-mode changes from the CPU; per-tag and global
// flushes from the front ends' TLB controls (INVLPGA, VPID/ASID flushes).
public sealed partial class ShadowMmu
{
    /// <summary>
    /// INVLPG (<paramref name="linearPage"/> set): drops the page from the current tag's roots,
    /// with every 4 KiB piece of a guest large page containing it (SDM vol.3 §5.10.4.1).
    /// CR3 load or paging-control change (null): switches to the root for the new CR3 and role,
    /// reusing a cached one (kept coherent by write protection); reloading the current CR3
    /// drops the current root's entries, global ones included (simplest correct: no global
    /// entries are kept apart).
    /// </summary>
    public void Invalidate(CpuCore cpu, ulong? linearPage)
    {
        _cpu = cpu;
        if (_selfFlush) return;
        Statistics.Flushes++;
        if (linearPage is ulong page)
        {
            if (_roots.TryGetValue(CurrentTag, out var list))
                foreach (var root in list) InvalidatePage(root, page);
            return;
        }
        var context = new PagingContext(cpu.Cr0, cpu.Cr3, cpu.Cr4, cpu.Efer, MaxPhysicalAddress);
        if (context.Mode == PagingMode.None) return;
        var role = ShadowPageRole.Of(in context);
        if (_current is { } current && current.Matches(CurrentTag, context.Cr3, role)) ClearRoot(current);
        else SwitchRoot(CurrentTag, context.Cr3, role);
    }

    void InvalidatePage(ShadowRoot root, ulong linear)
    {
        ulong page = PageOf(root.Role.Mode, linear);
        RemoveEntry(root, page);
        ulong size = LargePageSize(root.Role.Mode);
        ulong large = page & ~(size - 1);
        if (!root.LargePageBases.Remove(large)) return;
        for (ulong p = large; p < large + size; p += Page4K) RemoveEntry(root, p);
    }

    /// <summary>Drops every root of <paramref name="tag"/> (e.g. a VPID/ASID flush).</summary>
    public void FlushTag(int tag)
    {
        Statistics.Flushes++;
        if (_roots.TryGetValue(tag, out var list))
        {
            while (list.Count != 0) DropRoot(list[^1]);
            _roots.Remove(tag);
        }
        if (tag == CurrentTag) FlushCpuTlb();
    }

    /// <summary>Drops every root of every tag and unwatches every page-table frame.</summary>
    public void FlushAll()
    {
        Statistics.Flushes++;
        foreach (var list in _roots.Values)
            while (list.Count != 0) DropRoot(list[^1]);
        _roots.Clear();
        _current = null;
        FlushCpuTlb();
    }

    void FlushCpuTlb()
    {
        if (_cpu is null) return;
        _selfFlush = true;
        try { _cpu.FlushTlb(); }
        finally { _selfFlush = false; }
    }
}
