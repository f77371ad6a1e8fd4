using System.Text;
using JitVirt.Virtualization;

namespace JitVirt.Cli.Reports;

/// <summary>JitVirt's own counters, printed after the exit table: one "label  value [unit]" line each.</summary>
public static class CounterReport
{
    public const string Heading = "JitVirt counters:";

    public static string Format(IReadOnlyList<RunCounter> counters)
    {
        var s = new StringBuilder();
        s.Append(Heading).Append('\n');
        int width = counters.Count == 0 ? 0 : counters.Max(c => c.Label.Length);
        foreach (var c in counters)
        {
            s.Append("  ").Append(c.Label.PadRight(width)).Append($" {c.Value,16}");
            if (c.Unit.Length != 0) s.Append(' ').Append(c.Unit);
            s.Append('\n');
        }
        return s.ToString();
    }
}
