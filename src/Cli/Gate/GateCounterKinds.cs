using JitVirt.Virtualization;

namespace JitVirt.Cli.Gate;

/// <summary>
/// Sorts a run's counters into guest-visible ones (exact) and JitVirt-internal ones (tolerant); see
/// docs/decisions/0008-regression-gate.md. Guest-visible: what the guest could observe or what a real
/// KVM would count the same way for the same guest: instructions retired, exits by reason, instructions
/// that raised #UD for lack of an implementation, guest page faults the shadow MMU reflected. Everything
/// else (blocks decoded, regions compiled, links, page walks, shadow-MMU housekeeping) is how JitVirt
/// chose to do the work.
/// </summary>
public static class GateCounterKinds
{
    /// <summary>Exit counts are stored as "exit:NAME" with the front end's KVM exit name.</summary>
    public const string ExitPrefix = "exit:";

    static readonly HashSet<string> GuestVisible = new(StringComparer.Ordinal)
    {
        "guestInstructionsRetired",
        "unimplementedInstructions",
        "shadowMmuGuestFaults",
    };

    /// <summary>Counters that measure host time, not work: they differ between any two runs and are not compared.</summary>
    static readonly HashSet<string> HostTimed = new(StringComparer.Ordinal) { "compileTime" };

    public static bool IsExact(string key) => key.StartsWith(ExitPrefix, StringComparison.Ordinal) || GuestVisible.Contains(key);

    /// <summary>Splits <paramref name="counters"/> and <paramref name="exits"/> into the two maps of a measurement.</summary>
    public static (SortedDictionary<string, long> Exact, SortedDictionary<string, long> Tolerant) Split(
        IEnumerable<RunCounter> counters, IEnumerable<ExitRecord> exits)
    {
        var exact = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var tolerant = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var c in counters)
            if (!HostTimed.Contains(c.Key)) (IsExact(c.Key) ? exact : tolerant)[c.Key] = c.Value;
        foreach (var e in exits) exact[ExitPrefix + e.Name] = exact.GetValueOrDefault(ExitPrefix + e.Name) + e.Count;
        return (exact, tolerant);
    }
}
