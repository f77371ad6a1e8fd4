using System.Globalization;
using System.Text;

namespace JitVirt.Cli.Gate;

/// <summary>The gate's summary on stdout: one line per run with the headline counters and the (uncompared) wall time.</summary>
public static class GateTable
{
    public static string Header() =>
        string.Format(CultureInfo.InvariantCulture, "{0,-9} {1,-4} {2,-9} {3,13} {4,7} {5,8} {6,7} {7,11} {8,9}\n",
            "guest", "vm", "outcome", "instructions", "exits", "regions", "links", "region-runs", "wall-ms");

    public static string Row(GateMeasurement m)
    {
        long exits = m.Exact.Where(kv => kv.Key.StartsWith(GateCounterKinds.ExitPrefix, StringComparison.Ordinal)).Sum(kv => kv.Value);
        return string.Format(CultureInfo.InvariantCulture, "{0,-9} {1,-4} {2,-9} {3,13} {4,7} {5,8} {6,7} {7,11} {8,9:F0}\n",
            m.Guest, m.FrontEnd, m.Outcome,
            m.Exact.GetValueOrDefault("guestInstructionsRetired"), exits,
            m.Tolerant.GetValueOrDefault("regionsCompiled"), m.Tolerant.GetValueOrDefault("linksMade"),
            m.Tolerant.GetValueOrDefault("compiledRegionRuns"), m.WallSeconds * 1000);
    }

    public static string Format(IEnumerable<GateMeasurement> runs)
    {
        var text = new StringBuilder(Header());
        foreach (var m in runs) text.Append(Row(m));
        return text.ToString();
    }
}
