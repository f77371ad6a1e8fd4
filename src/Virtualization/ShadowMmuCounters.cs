using JitVirt.Mmu.Shadow;

namespace JitVirt.Virtualization;

/// <summary>
/// <see cref="ShadowMmuStatistics"/> as run counters, named after kvm_stat's MMU counters where one
/// exists (<c>mmu_shadow_zapped</c>, <c>mmu_flooded</c>, <c>pf_fixed</c>, <c>pf_guest</c>, ...), for a front
/// end's <see cref="IRunCounterSource.Counters"/>.
/// </summary>
public static class ShadowMmuCounters
{
    public static IEnumerable<RunCounter> Of(ShadowMmuStatistics s) =>
    [
        new("shadowMmuFaults", "shadow-MMU faults (pf_fixed)", s.ShadowFaults),
        new("shadowMmuGuestFaults", "guest page faults reflected (pf_guest)", s.GuestPageFaults),
        new("shadowMmuZaps", "shadow-MMU zaps (mmu_shadow_zapped)", s.Zaps),
        new("shadowMmuWriteProtectHits", "writes to shadowed page tables (mmu_pte_write)", s.WriteProtectHits),
        new("shadowMmuFlushes", "shadow-MMU flushes (INVLPG, CR3, tag, all)", s.Flushes),
        new("shadowMmuRootsCreated", "shadow roots created", s.RootsCreated),
        new("shadowMmuRootReuses", "shadow roots reused", s.RootReuses),
    ];
}
