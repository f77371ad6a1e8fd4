using JitVirt.Mmu.Shadow;

namespace JitVirt.Virtualization;

/// <summary>
/// <see cref="ShadowMmu"/> counters as run counters, named after kvm_stat's MMU counters where one
/// exists (<c>pf_fixed</c>, <c>pf_guest</c>, <c>mmu_pte_write</c>, <c>mmu_pte_updated</c>,
/// <c>mmu_shadow_zapped</c>, <c>mmu_flooded</c>, <c>mmu_recycled</c>, <c>mmu_cache_miss</c>), for a
/// front end's <see cref="IRunCounterSource.Counters"/> or the CLI.
/// </summary>
public static class ShadowMmuCounters
{
    public static IEnumerable<RunCounter> Of(ShadowMmu mmu)
    {
        ShadowMmuStatistics s = mmu.Statistics;
        return
        [
            new("shadowMmuFaults", "shadow-MMU faults fixed (pf_fixed)", s.ShadowFaults),
            new("shadowMmuGuestFaults", "guest page faults reflected (pf_guest)", s.GuestPageFaults),
            new("shadowMmuHits", "shadow-MMU hits (software-TLB misses served without a guest walk)", s.Hits),
            new("shadowMmuWriteProtectHits", "writes to shadowed page tables (mmu_pte_write)", s.WriteProtectHits),
            new("shadowMmuWriteProtectEmulations", "write translations to shadowed page tables (emulated)", s.WriteProtectEmulations),
            new("shadowMmuZaps", "shadow entries cleared by guest writes (mmu_pte_updated)", s.Zaps),
            new("shadowMmuPagesZapped", "shadow pages zapped (mmu_shadow_zapped)", s.PagesZapped),
            new("shadowMmuFloods", "write floods that unshadowed a frame (mmu_flooded)", s.Floods),
            new("shadowMmuUnprotects", "guest frames no longer write-protected", s.Unprotects),
            new("shadowMmuPagesRecycled", "shadow pages reclaimed at the limit (mmu_recycled)", s.PagesRecycled),
            new("shadowMmuPagesCreated", "shadow pages created (mmu_cache_miss)", s.PagesCreated),
            new("shadowMmuFlushes", "shadow-MMU flushes (INVLPG, CR3, tag, all)", s.Flushes),
            new("shadowMmuTlbFlushes", "software-TLB flushes for dropped shadow entries", s.TlbFlushes),
            new("shadowMmuRootsCreated", "shadow roots created", s.RootsCreated),
            new("shadowMmuRootReuses", "shadow roots reused", s.RootReuses),
            new("shadowMmuPagesInUse", "shadow pages in use", mmu.ShadowPagesInUse),
            new("shadowMmuEntriesInUse", "present leaf shadow entries", mmu.ShadowEntriesInUse),
            new("shadowMmuRmapEntries", "rmap entries", mmu.ReverseMapEntries),
        ];
    }
}
