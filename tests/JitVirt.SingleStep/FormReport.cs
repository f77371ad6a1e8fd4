namespace JitVirt.SingleStep;

/// <summary>Results of one instruction form (one <c>.MOO.gz</c> file).</summary>
public sealed class FormReport
{
    public required InstructionForm Form { get; init; }
    public required string FileName { get; init; }
    public required OpcodeInfo Info { get; init; }
    public int Total { get; internal set; }
    public int Passed { get; internal set; }
    public int Failed => Total - Passed;

    /// <summary>Failures explained by a <see cref="KnownDifference"/>.</summary>
    public int DocumentedFailures { get; internal set; }
    public int UnexpectedFailures => Failed - DocumentedFailures;
    public int RevokedSkipped { get; internal set; }

    /// <summary>The first few unexpected failures, then (if room remains) documented ones.</summary>
    public List<TestFailure> FirstFailures { get; } = [];

    public override string ToString() =>
        $"{Form.Key,-5} {Info.Status,-12} {Passed,4}/{Total,-4} failed {Failed} (documented {DocumentedFailures}, unexpected {UnexpectedFailures})";
}
