using System.Text.RegularExpressions;

namespace JitVirt.LinuxBoot.Tests.QemuComparison;

/// <summary>
/// A boot console reduced to what the comparison looks at: the kernel's lines from its banner on,
/// without terminal control sequences or carriage returns, rewritten and filtered by a list of
/// <see cref="ConsoleFilterEntry"/>, and split into the lines whose order matters and those whose order
/// depends on timing (<see cref="ConsoleFilterAction.Unordered"/>).
/// </summary>
public sealed class ConsoleTranscript
{
    /// <summary>ECMA-48 control sequences (CSI ... final byte) and lone ESC c (RIS) a firmware writes to the terminal.</summary>
    private static readonly Regex TerminalControl = new(@"\x1B(\[[0-9;?]*[ -/]*[@-~]|c)", RegexOptions.CultureInvariant);

    public IReadOnlyList<string> Ordered { get; }
    public IReadOnlyList<string> Unordered { get; }

    private ConsoleTranscript(IReadOnlyList<string> ordered, IReadOnlyList<string> unordered)
    {
        Ordered = ordered;
        Unordered = unordered;
    }

    public static ConsoleTranscript From(string console, IReadOnlyList<ConsoleFilterEntry> filters, string kernelStart)
    {
        var ordered = new List<string>();
        var unordered = new List<string>();
        foreach (string raw in KernelLines(console, kernelStart))
        {
            string? line = Apply(raw, filters, out bool isUnordered);
            if (line is null) continue;
            (isUnordered ? unordered : ordered).Add(line);
        }
        unordered.Sort(StringComparer.Ordinal);
        return new ConsoleTranscript(ordered, unordered);
    }

    /// <summary>The console from the first occurrence of <paramref name="kernelStart"/> on, one entry per line, trailing blanks removed.</summary>
    public static IEnumerable<string> KernelLines(string console, string kernelStart)
    {
        string text = TerminalControl.Replace(console, "").Replace("\r", "");
        int start = text.IndexOf(kernelStart, StringComparison.Ordinal);
        if (start < 0) yield break;
        int lineStart = text.LastIndexOf('\n', start) + 1;
        // The banner can share its line with firmware output (SeaBIOS prints no newline before it): keep from
        // the timestamp or the banner, whichever comes first on that line.
        int timestamp = text.LastIndexOf('[', start);
        int from = timestamp >= lineStart ? timestamp : start;
        foreach (string line in text[from..].Split('\n'))
        {
            string trimmed = line.TrimEnd();
            if (trimmed.Length != 0) yield return trimmed;
        }
    }

    /// <summary>Applies the filters in order; null when a <see cref="ConsoleFilterAction.Drop"/> entry removes the line.</summary>
    private static string? Apply(string line, IReadOnlyList<ConsoleFilterEntry> filters, out bool unordered)
    {
        unordered = false;
        foreach (var filter in filters)
        {
            if (!filter.Pattern.IsMatch(line)) continue;
            switch (filter.Action)
            {
                case ConsoleFilterAction.Rewrite: line = filter.Pattern.Replace(line, filter.Replacement); break;
                case ConsoleFilterAction.Drop: return null;
                case ConsoleFilterAction.Unordered: unordered = true; break;
            }
        }
        return line;
    }
}
