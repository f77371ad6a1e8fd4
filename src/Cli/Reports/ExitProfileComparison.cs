using System.Text;
using JitVirt.Virtualization;

namespace JitVirt.Cli.Reports;

/// <summary>
/// Two exit profiles side by side (<c>jitvirt compare</c>), lined up by <see cref="ExitCategory"/>: SVM's
/// <c>io</c> beside VMX's <c>IO_INSTRUCTION</c>, SVM's one <c>msr</c> exit beside VMX's <c>MSR_READ</c> and
/// <c>MSR_WRITE</c> (reads and writes form one group, as do CR reads and writes), with each group's total
/// for either side, then the grand totals. Groups appear in order of their combined sample count.
/// </summary>
public static class ExitProfileComparison
{
    private const int GroupWidth = 18;
    private const int NameWidth = 24;
    private const int CountWidth = 10;

    /// <summary>The group an exit category is compared in (MSR and CR reads and writes go together).</summary>
    public static string GroupOf(ExitCategory category) => category switch
    {
        ExitCategory.MsrRead or ExitCategory.MsrWrite => "msr",
        ExitCategory.CrRead or ExitCategory.CrWrite => "cr",
        _ => GroupNames[category],
    };

    private static readonly Dictionary<ExitCategory, string> GroupNames = new()
    {
        [ExitCategory.Other] = "other",
        [ExitCategory.Io] = "io",
        [ExitCategory.Cpuid] = "cpuid",
        [ExitCategory.Hlt] = "hlt",
        [ExitCategory.ExternalInterrupt] = "external-interrupt",
        [ExitCategory.Nmi] = "nmi",
        [ExitCategory.InterruptWindow] = "interrupt-window",
        [ExitCategory.Exception] = "exception",
        [ExitCategory.PageFault] = "page-fault",
        [ExitCategory.DrAccess] = "dr",
        [ExitCategory.Invlpg] = "invlpg",
        [ExitCategory.TaskSwitch] = "task-switch",
        [ExitCategory.Shutdown] = "shutdown",
        [ExitCategory.Rdtsc] = "rdtsc",
        [ExitCategory.Pause] = "pause",
        [ExitCategory.VirtualizationInstruction] = "virt-insn",
        [ExitCategory.Hypercall] = "hypercall",
        [ExitCategory.Invalid] = "invalid",
    };

    public static string Format(string leftName, IReadOnlyList<ExitRecord> left, string rightName, IReadOnlyList<ExitRecord> right)
    {
        var groups = left.Select(e => GroupOf(e.Category)).Concat(right.Select(e => GroupOf(e.Category))).Distinct()
            .Select(g => (Name: g, Left: RowsOf(left, g), Right: RowsOf(right, g)))
            .OrderByDescending(g => g.Left.Sum(e => e.Count) + g.Right.Sum(e => e.Count)).ThenBy(g => g.Name, StringComparer.Ordinal)
            .ToList();
        var s = new StringBuilder();
        s.Append($"Exit profiles by category: {leftName} (left) vs {rightName} (right)\n\n");
        Row(s, "category", $"{leftName} exit", "Samples", $"{rightName} exit", "Samples");
        s.Append('\n');
        foreach (var (name, l, r) in groups)
        {
            int lines = Math.Max(l.Count, r.Count);
            for (int i = 0; i < lines; i++)
            {
                Row(s, i == 0 ? name : "",
                    i < l.Count ? l[i].Name : "", i < l.Count ? l[i].Count.ToString() : "",
                    i < r.Count ? r[i].Name : "", i < r.Count ? r[i].Count.ToString() : "");
            }
            Row(s, "", "  total", l.Sum(e => e.Count).ToString(), "  total", r.Sum(e => e.Count).ToString());
        }
        s.Append('\n');
        Row(s, "all exits", "", left.Sum(e => e.Count).ToString(), "", right.Sum(e => e.Count).ToString());
        return s.ToString();
    }

    private static List<ExitRecord> RowsOf(IReadOnlyList<ExitRecord> exits, string group) =>
        exits.Where(e => GroupOf(e.Category) == group).OrderByDescending(e => e.Count).ThenBy(e => e.Index).ToList();

    private static void Row(StringBuilder s, string group, string leftName, string leftCount, string rightName, string rightCount)
    {
        s.Append($"{group,-GroupWidth} {leftName,-NameWidth} {leftCount,CountWidth}   {rightName,-NameWidth} {rightCount,CountWidth}".TrimEnd());
        s.Append('\n');
    }
}
