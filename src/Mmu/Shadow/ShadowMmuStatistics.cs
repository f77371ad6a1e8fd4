namespace JitVirt.Mmu.Shadow;

/// <summary>Counters for exit statistics (KVM: kvm_stat's mmu_* and pf_* counters).</summary>
public sealed class ShadowMmuStatistics
{
    /// <summary>Misses that walked the guest tables and filled a shadow entry.</summary>
    public long ShadowFaults;

    /// <summary>Translations the guest's own tables deny: returned as a #PF error code.</summary>
    public long GuestPageFaults;

    /// <summary>Hits served from a shadow entry.</summary>
    public long Hits;

    /// <summary>Writes to write-protected guest page-table frames.</summary>
    public long WriteProtectHits;

    /// <summary>Shadow entries dropped because a guest entry they depended on was written.</summary>
    public long Zaps;

    /// <summary>INVLPG, CR3 loads, FlushTag and FlushAll received.</summary>
    public long Flushes;

    /// <summary>CR3 loads or tag switches that found a cached root.</summary>
    public long RootReuses;

    /// <summary>Roots created.</summary>
    public long RootsCreated;
}
