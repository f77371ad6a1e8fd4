using System.Globalization;
using System.Text;
using JitVirt.Cli.Profiling;

namespace JitVirt.Cli.Reports;

/// <summary>The time split for --stats: one "label  seconds  percent  instructions" line per activity, then the compile time and the hottest pages.</summary>
public static class TimeSplitReport
{
    public const string Heading = "JitVirt time split (vCPU thread, sampled):";
    private const int HotPagesPrinted = 10;

    public static string Format(TimeSplit split)
    {
        var s = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        s.Append(Heading).Append('\n');
        int width = split.Activities.Max(a => a.Label.Length);
        foreach (var a in split.Activities)
            s.Append("  ").Append(a.Label.PadRight(width)).Append(string.Format(c, " {0,10:F3} s {1,6:F1} % {2,16} insns", a.Seconds, a.Percent, a.Instructions)).Append('\n');
        s.Append("  ").Append("sampled wall time".PadRight(width)).Append(string.Format(c, " {0,10:F3} s, {1} samples\n", split.SampledSeconds, split.Samples));
        if (split.CompileSeconds is { } compile)
            s.Append("  ").Append("IL compilation".PadRight(width)).Append(string.Format(c, " {0,10:F3} s on the {1} thread\n", compile,
                split.CompileThread == "vcpu" ? "vCPU (inside dispatch)" : "compile"));
        if (split.HotPages.Count != 0)
        {
            s.Append("  hottest guest code pages (linear RIP page, mode, samples, instructions charged: samples by activity):\n");
            foreach (var p in split.HotPages.Take(HotPagesPrinted))
            {
                s.Append(string.Format(c, "    {0,18:x} {1,-6} {2,8} {3,14} insns", p.Page, p.Mode, p.Total, p.Instructions));
                foreach (var a in split.Activities)
                    if (p.Samples[(int)a.Activity] != 0) s.Append(' ').Append(a.Key).Append('=').Append(p.Samples[(int)a.Activity]);
                s.Append('\n');
            }
        }
        return s.ToString();
    }
}
