using System.Text;

namespace JitVirt.SingleStep;

/// <summary>Results of a whole directory run.</summary>
public sealed class SingleStepReport
{
    public required string Directory { get; init; }
    public required IReadOnlyList<FormReport> Forms { get; init; }
    public TimeSpan Elapsed { get; init; }

    public int Total => Sum(static f => f.Total);
    public int Passed => Sum(static f => f.Passed);
    public int Failed => Total - Passed;
    public int DocumentedFailures => Sum(static f => f.DocumentedFailures);
    public int UnexpectedFailures => Failed - DocumentedFailures;

    /// <summary>Summary line, then one line per form that failed, then the first failures of each.</summary>
    public string ToText(bool includeFailureDetails = true)
    {
        var sb = new StringBuilder();
        sb.Append($"{Directory}: {Passed}/{Total} passed, {Failed} failed ({DocumentedFailures} documented 286/386 differences, {UnexpectedFailures} unexpected) in {Elapsed.TotalSeconds:F1} s")
          .AppendLine();
        foreach (var form in Forms)
        {
            if (form.Failed == 0) continue;
            sb.Append("  ").Append(form).AppendLine();
            if (!includeFailureDetails) continue;
            foreach (var failure in form.FirstFailures)
                foreach (var line in failure.Describe().Split('\n', StringSplitOptions.RemoveEmptyEntries))
                    sb.Append("      ").Append(line.TrimEnd('\r')).AppendLine();
        }
        return sb.ToString();
    }

    private int Sum(Func<FormReport, int> selector)
    {
        int total = 0;
        foreach (var f in Forms) total += selector(f);
        return total;
    }
}
