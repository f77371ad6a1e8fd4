namespace JitVirt.SingleStep;

/// <summary>A failed test, with the known 286/386 difference that explains it, if any.</summary>
public sealed record TestFailure(SingleStepTest Test, TestComparison Comparison, KnownDifference? KnownDifference)
{
    public bool IsDocumented => KnownDifference is not null;

    public string Describe() => FailureFormatter.Describe(this);
}
