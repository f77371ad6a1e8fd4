using System.Globalization;
using System.Text;

namespace JitVirt.Cli.Bench;

/// <summary>How one benchmark moved between two exports.</summary>
public enum TimingVerdict { Same, Noise, Slower, Faster, OnlyInBaseline, OnlyInCandidate }

public sealed record TimingChange(string FullName, BenchmarkTiming? Baseline, BenchmarkTiming? Candidate, TimingVerdict Verdict)
{
    public double Ratio => Baseline is { } a && Candidate is { } b ? b.MeanNs / a.MeanNs : double.NaN;
}

/// <summary>
/// <c>jitvirt bench compare A.json B.json</c>: a benchmark is slower (or faster) when its mean time per
/// operation moved by more than the threshold (B/A above 1 + t, or below 1 / (1 + t)) and the move is
/// not noise: noise is a difference of at most the noise floor in nanoseconds, or 99.9% confidence
/// intervals that overlap (BenchmarkDotNet's ConfidenceInterval), since then the two runs cannot be told apart.
/// </summary>
public static class WallTimeComparison
{
    public static IReadOnlyList<TimingChange> Compare(IReadOnlyList<BenchmarkTiming> baseline, IReadOnlyList<BenchmarkTiming> candidate, double threshold, double noiseNs)
    {
        var before = baseline.GroupBy(t => t.FullName).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var after = candidate.GroupBy(t => t.FullName).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var changes = new List<TimingChange>();
        foreach (string name in before.Keys.Union(after.Keys).Order(StringComparer.Ordinal))
        {
            before.TryGetValue(name, out var a);
            after.TryGetValue(name, out var b);
            var verdict = a is null ? TimingVerdict.OnlyInCandidate : b is null ? TimingVerdict.OnlyInBaseline : Judge(a, b, threshold, noiseNs);
            changes.Add(new TimingChange(name, a, b, verdict));
        }
        return changes;
    }

    static TimingVerdict Judge(BenchmarkTiming a, BenchmarkTiming b, double threshold, double noiseNs)
    {
        double ratio = b.MeanNs / a.MeanNs;
        bool slower = ratio > 1 + threshold, faster = ratio < 1 / (1 + threshold);
        if (!slower && !faster) return TimingVerdict.Same;
        if (Math.Abs(b.MeanNs - a.MeanNs) <= noiseNs) return TimingVerdict.Noise;
        if (a.LowerNs is { } aLow && a.UpperNs is { } aHigh && b.LowerNs is { } bLow && b.UpperNs is { } bHigh && aLow <= bHigh && bLow <= aHigh)
            return TimingVerdict.Noise;
        return slower ? TimingVerdict.Slower : TimingVerdict.Faster;
    }

    /// <summary>One line per benchmark that moved or exists on one side only; a closing count line.</summary>
    public static string Format(IReadOnlyList<TimingChange> changes, double threshold, double noiseNs)
    {
        var text = new StringBuilder();
        foreach (var c in changes.Where(c => c.Verdict != TimingVerdict.Same))
        {
            string Ns(BenchmarkTiming? t) => t is null ? "-" : t.MeanNs.ToString("F3", CultureInfo.InvariantCulture) + " ns";
            string ratio = double.IsNaN(c.Ratio) ? "" : c.Ratio.ToString("F3", CultureInfo.InvariantCulture) + "x ";
            string verdict = c.Verdict switch
            {
                TimingVerdict.Slower => "slower",
                TimingVerdict.Faster => "faster",
                TimingVerdict.Noise => "noise",
                TimingVerdict.OnlyInBaseline => "removed",
                _ => "new",
            };
            text.Append(CultureInfo.InvariantCulture, $"{verdict,-8} {ratio}{c.FullName}: {Ns(c.Baseline)} -> {Ns(c.Candidate)}\n");
        }
        int Count(TimingVerdict v) => changes.Count(c => c.Verdict == v);
        text.Append(CultureInfo.InvariantCulture,
            $"{changes.Count} benchmarks: {Count(TimingVerdict.Slower)} slower, {Count(TimingVerdict.Faster)} faster, {Count(TimingVerdict.Noise)} within noise, " +
            $"{Count(TimingVerdict.Same)} unchanged (threshold {threshold * 100:0.##}%, noise floor {noiseNs.ToString(CultureInfo.InvariantCulture)} ns)\n");
        return text.ToString();
    }

    /// <summary>A percentage, "5%" or "5", as the fraction 0.05.</summary>
    public static double ParseThreshold(string text)
    {
        string t = text.Trim();
        if (t.EndsWith('%')) t = t[..^1];
        if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !(value >= 0) || double.IsInfinity(value))
            throw new UsageException($"--threshold: '{text}' is not a percentage such as 5%");
        return value / 100;
    }
}
