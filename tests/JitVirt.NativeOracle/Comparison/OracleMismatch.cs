namespace JitVirt.NativeOracle;

/// <summary>A difference between the reference and the candidate result of one case.</summary>
public sealed class OracleMismatch
{
    internal OracleMismatch(OracleCase testCase, IReadOnlyList<string> differences, string report)
    {
        Case = testCase;
        Differences = differences;
        Report = report;
    }

    /// <summary>The case that differed.</summary>
    public OracleCase Case { get; }

    /// <summary>One line per differing item, e.g. <c>rax: expected 1 actual 2</c>.</summary>
    public IReadOnlyList<string> Differences { get; }

    /// <summary>Full report: seeds and how to rebuild the case, the disassembly, the differences, and the
    /// initial, expected and actual states.</summary>
    public string Report { get; }

    public override string ToString() => Report;
}
