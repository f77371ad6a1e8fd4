using System.Text;
using JitVirt.Virtualization;

namespace JitVirt.Cli.Reports;

/// <summary>
/// The exit table in the layout of <c>perf kvm stat report --event=vmexit</c> (Linux
/// tools/perf/builtin-kvm.c, print_result): names right-aligned in 20 columns, sorted by sample count,
/// times in microseconds with two decimals, the average followed by the relative standard deviation of
/// the mean ("( +-  x.xx% )"), then the totals line. Exit names are KVM's for the front end in use.
/// </summary>
public static class PerfKvmStatReport
{
    /// <summary>builtin-kvm.c's decode_str_len: the width of the event-name column.</summary>
    private const int NameWidth = 20;
    private const double NanosecondsPerMicrosecond = 1000;

    public static string Format(IReadOnlyList<ExitRecord> exits)
    {
        long totalCount = exits.Sum(e => e.Count);
        double totalNs = exits.Sum(e => e.TotalNs);
        var s = new StringBuilder();
        s.Append("\n\nAnalyze events for all VMs, all VCPUs:\n\n");
        s.Append($"{"VM-EXIT",NameWidth} {"Samples",10} {"Samples%",9} {"Time%",9} {"Min Time",11} {"Max Time",11} {"Avg time",16} \n\n");
        // perf inserts into an rb-tree with "bigger goes left", so equal counts keep their order: here, table order.
        foreach (var e in exits.OrderByDescending(e => e.Count).ThenBy(e => e.Index))
        {
            s.Append($"{e.Name,NameWidth} ");
            s.Append($"{e.Count,10} ");
            s.Append($"{Percent(e.Count, totalCount),8:F2}% ");
            s.Append($"{Percent(e.TotalNs, totalNs),8:F2}% ");
            s.Append($"{e.MinOrZeroNs / NanosecondsPerMicrosecond,9:F2}us ");
            s.Append($"{e.MaxNs / NanosecondsPerMicrosecond,9:F2}us ");
            s.Append($"{e.AverageNs / NanosecondsPerMicrosecond,9:F2}us ( +-{e.RelativeStdDevPercent,7:F2}% )");
            s.Append('\n');
        }
        s.Append($"\nTotal Samples:{totalCount}, Total events handled time:{totalNs / NanosecondsPerMicrosecond:F2}us.\n\n");
        return s.ToString();
    }

    /// <summary>perf divides unguarded; with nothing timed JitVirt prints 0.00 rather than nan.</summary>
    private static double Percent(double part, double total) => total == 0 ? 0 : part / total * 100;
}
