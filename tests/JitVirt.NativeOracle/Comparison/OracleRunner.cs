using System.Diagnostics;

namespace JitVirt.NativeOracle;

/// <summary>Outcome of <see cref="OracleRunner.Run"/>.</summary>
/// <param name="Cases">Cases executed.</param>
/// <param name="ReferenceFaults">Cases where the reference raised an exception.</param>
/// <param name="Mismatches">The first mismatches found (at most the requested number).</param>
/// <param name="MismatchCount">All mismatches found.</param>
/// <param name="Elapsed">Wall time including generation.</param>
public sealed record OracleRunResult(long Cases, long ReferenceFaults, IReadOnlyList<OracleMismatch> Mismatches, long MismatchCount, TimeSpan Elapsed)
{
    public double CasesPerSecond => Cases / Math.Max(Elapsed.TotalSeconds, 1e-9);
}

/// <summary>
/// The comparison loop: for every generated case, run it on the reference (normally
/// <see cref="NativeExecutor"/>) and on the candidate (the emulator), and compare. Two working states
/// are reused, so the loop allocates only what generation does.
/// </summary>
public sealed class OracleRunner(IInstructionExecutor reference, IInstructionExecutor candidate)
{
    private readonly OracleComparer _comparer = new();

    public OracleRunResult Run(FormCatalog catalog, ExecutionMode mode, int statesPerForm, int seed, int maxReportedMismatches = 10)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var expected = new OracleState(catalog.Layout);
        var actual = new OracleState(catalog.Layout);
        var mismatches = new List<OracleMismatch>();
        long cases = 0, faults = 0, mismatchCount = 0;
        var clock = Stopwatch.StartNew();
        foreach (var testCase in catalog.Generate(mode, statesPerForm, seed, reuseState: true))
        {
            expected.CopyFrom(testCase.Initial);
            actual.CopyFrom(testCase.Initial);
            reference.Execute(mode, testCase.Code, expected);
            candidate.Execute(mode, testCase.Code, actual);
            cases++;
            if (expected.Faulted) faults++;
            var mismatch = _comparer.Compare(testCase, expected, actual);
            if (mismatch is null) continue;
            mismatchCount++;
            if (mismatches.Count < maxReportedMismatches)
            {
                // The generator reuses the case's initial state: rebuild a private copy for the report.
                var kept = catalog.CreateCase(mode, testCase.FormName, testCase.CaseSeed, seed);
                mismatches.Add(_comparer.Compare(kept, expected, actual) ?? mismatch);
            }
        }
        return new OracleRunResult(cases, faults, mismatches, mismatchCount, clock.Elapsed);
    }
}
