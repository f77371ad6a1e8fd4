namespace JitVirt.Cli.Gate;

/// <summary>One difference between a run and its baseline: a failure, or a note (a counter appeared or went away).</summary>
public sealed record GateFinding(string Run, string Counter, string Baseline, string Now, string Rule, bool IsFailure)
{
    /// <summary>e.g. "integer/svm: linksMade: baseline 14, now 0 (-100.0%, tolerance ±10%)".</summary>
    public override string ToString() => $"{Run}: {Counter}: baseline {Baseline}, now {Now} ({Rule})";
}
