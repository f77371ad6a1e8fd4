namespace JitVirt.Mmu.Shadow;

// The write-protect path (KVM: kvm_mmu_pre_write): a guest store to a page-table frame zaps
// the shadow entries whose walk read the bytes stored to.
public sealed partial class ShadowMmu
{
    /// <summary>Above this many zapped pages the CPU's whole TLB is flushed instead of page by page.</summary>
    const int PageFlushLimit = 64;

    void OnPageTableFrameWritten(ulong address, int size)
    {
        // Accessed/dirty updates by this MMU's own walk only add A and D: no translation loses rights.
        if (_walking) return;
        Statistics.WriteProtectHits++;
        if (!_rmap.PageTables.TryGetValue(address >> 12, out var dependents))
        {
            _memory.UnwatchPageTableFrame(address >> 12);
            return;
        }
        _scratch.Clear();
        foreach (var entry in dependents)
            if (entry.Root.Entries.TryGetValue(entry.LinearPage, out var pte) && pte.DependsOn(address, size))
                _scratch.Add(entry);
        int currentZaps = 0;
        foreach (var entry in _scratch)
        {
            RemoveEntry(entry.Root, entry.LinearPage);
            Statistics.Zaps++;
            if (ReferenceEquals(entry.Root, _current)) currentZaps++;
        }
        if (currentZaps == 0 || _cpu is null) return;
        // Only the current root's translations can be in the CPU's software TLB.
        _selfFlush = true;
        try
        {
            if (currentZaps > PageFlushLimit) _cpu.FlushTlb();
            else foreach (var entry in _scratch) if (ReferenceEquals(entry.Root, _current)) _cpu.FlushTlbPage(entry.LinearPage);
        }
        finally { _selfFlush = false; }
    }
}
