namespace JitVirt.Virtualization;

/// <summary>Something that keeps run counters: a front end (its shadow MMU, its ASID/VPID flushes) or an executor.</summary>
public interface IRunCounterSource
{
    /// <summary>The counters as they stand now; only those the source really keeps (never invented zeros).</summary>
    IEnumerable<RunCounter> Counters();
}
