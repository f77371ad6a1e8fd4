namespace JitVirt.Mmu.Shadow;

/// <summary>Counters for exit statistics (KVM: kvm_stat's <c>pf_*</c> and <c>mmu_*</c> counters).</summary>
public sealed class ShadowMmuStatistics
{
    /// <summary>Misses that walked the guest tables and filled a shadow entry (pf_fixed).</summary>
    public long ShadowFaults;

    /// <summary>Translations the guest's own tables deny: returned as a #PF error code (pf_guest).</summary>
    public long GuestPageFaults;

    /// <summary>Translations served by the shadow tables without a guest walk.</summary>
    public long Hits;

    /// <summary>Writes to write-protected guest page-table frames (mmu_pte_write).</summary>
    public long WriteProtectHits;

    /// <summary>Write translations to a shadowed page-table frame: the store is emulated through the slow path (KVM's write_pt).</summary>
    public long WriteProtectEmulations;

    /// <summary>Present shadow entries cleared because the guest entry they shadow was written (mmu_pte_updated).</summary>
    public long Zaps;

    /// <summary>Whole shadow pages zapped: misaligned or flooded writes, reclaim, FlushAll (mmu_shadow_zapped).</summary>
    public long PagesZapped;

    /// <summary>Frames written so often without being walked that their shadow pages were zapped (mmu_flooded).</summary>
    public long Floods;

    /// <summary>Guest frames that stopped being write-protected because their last shadow page went.</summary>
    public long Unprotects;

    /// <summary>Shadow pages reclaimed from the LRU tail to stay under the page limit (mmu_recycled).</summary>
    public long PagesRecycled;

    /// <summary>Shadow pages created (mmu_cache_miss).</summary>
    public long PagesCreated;

    /// <summary>INVLPG, CR3 loads, paging-mode changes, FlushTag and FlushAll received.</summary>
    public long Flushes;

    /// <summary>Software-TLB flushes this MMU requested because it dropped a present shadow entry (remote_tlb_flush).</summary>
    public long TlbFlushes;

    /// <summary>CR3 loads or tag switches that found a cached root.</summary>
    public long RootReuses;

    /// <summary>Root slots created.</summary>
    public long RootsCreated;
}
