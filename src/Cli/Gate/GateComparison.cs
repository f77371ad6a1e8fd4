using System.Globalization;

namespace JitVirt.Cli.Gate;

/// <summary>
/// Compares a run with its baseline. Guest-visible figures (outcome, exit status, console digest, the
/// exact counters) must be equal; an exit reason missing on one side counts as 0 there. JIT-internal
/// counters may move by up to <see cref="Tolerance"/> of the baseline value either way (a baseline of 0
/// allows only 0); a JIT-internal counter that appears or disappears is a note, since new counters come
/// with new features and are recorded by the next --update.
/// </summary>
public static class GateComparison
{
    /// <summary>Relative tolerance of JIT-internal counters: ±10% (docs/decisions/0008-regression-gate.md).</summary>
    public const double Tolerance = 0.10;

    public static IReadOnlyList<GateFinding> Compare(GateMeasurement baseline, GateMeasurement now)
    {
        var findings = new List<GateFinding>();
        string run = now.Run;
        void Exact(string name, string before, string after)
        {
            if (before != after) findings.Add(new(run, name, before, after, "exact", IsFailure: true));
        }
        Exact("outcome", baseline.Outcome, now.Outcome);
        Exact("exitStatus", Text(baseline.ExitStatus), Text(now.ExitStatus));
        Exact("consoleBytes", Text(baseline.ConsoleBytes), Text(now.ConsoleBytes));
        Exact("consoleSha256", baseline.ConsoleSha256, now.ConsoleSha256);

        foreach (string key in baseline.Exact.Keys.Union(now.Exact.Keys).Order(StringComparer.Ordinal))
        {
            bool exit = key.StartsWith(GateCounterKinds.ExitPrefix, StringComparison.Ordinal);
            bool inBefore = baseline.Exact.TryGetValue(key, out long before), inAfter = now.Exact.TryGetValue(key, out long after);
            if (!exit && inBefore != inAfter)
                findings.Add(new(run, key, inBefore ? Text(before) : "absent", inAfter ? Text(after) : "absent", "exact", IsFailure: true));
            else if (before != after)
                findings.Add(new(run, key, Text(before), Text(after), $"{Delta(before, after)}, exact", IsFailure: true));
        }

        foreach (string key in baseline.Tolerant.Keys.Union(now.Tolerant.Keys).Order(StringComparer.Ordinal))
        {
            bool inBefore = baseline.Tolerant.TryGetValue(key, out long before), inAfter = now.Tolerant.TryGetValue(key, out long after);
            if (!inBefore || !inAfter)
                findings.Add(new(run, key, inBefore ? Text(before) : "absent", inAfter ? Text(after) : "absent", "not compared: new or removed counter", IsFailure: false));
            else if (!WithinTolerance(before, after))
                findings.Add(new(run, key, Text(before), Text(after), $"{Change(before, after)}, tolerance ±{Tolerance * 100:0}%", IsFailure: true));
        }
        return findings;
    }

    public static bool WithinTolerance(long baseline, long now) =>
        Math.Abs((double)now - baseline) <= Tolerance * Math.Abs((double)baseline);

    /// <summary>Relative change for tolerant counters (the absolute one when the baseline is 0).</summary>
    static string Change(long before, long after) => before == 0
        ? Delta(before, after)
        : ((double)(after - before) / before).ToString("+0.0%;-0.0%;0.0%", CultureInfo.InvariantCulture);

    /// <summary>Absolute change, signed: exact counters are read as "how many more or fewer".</summary>
    static string Delta(long before, long after) => (after - before).ToString("+0;-0;0", CultureInfo.InvariantCulture);

    static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
