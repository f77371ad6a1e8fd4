using JitVirt.Cli.Gate;

namespace JitVirt.Gate.Tests;

/// <summary>The comparison rules on hand-made measurements: exact, tolerant (±10%), exits absent on one side, new counters.</summary>
public class GateComparisonTests
{
    static GateMeasurement Make(long retired, long compiled, (string, long)[]? exits = null, (string, long)[]? extra = null)
    {
        var exact = new SortedDictionary<string, long>(StringComparer.Ordinal) { ["guestInstructionsRetired"] = retired };
        foreach (var (name, count) in exits ?? []) exact["exit:" + name] = count;
        var tolerant = new SortedDictionary<string, long>(StringComparer.Ordinal) { ["regionsCompiled"] = compiled };
        foreach (var (name, value) in extra ?? []) tolerant[name] = value;
        return new GateMeasurement { Guest = "g", FrontEnd = "svm", Outcome = "DebugExit", ExitStatus = 1, ConsoleSha256 = "00", Exact = exact, Tolerant = tolerant };
    }

    [Theory]
    [InlineData(100, 110, false)] // +10%: inside
    [InlineData(100, 90, false)]  // -10%: inside
    [InlineData(100, 111, true)]  // +11%
    [InlineData(100, 89, true)]   // -11%
    [InlineData(0, 0, false)]
    [InlineData(0, 1, true)]      // a baseline of 0 allows only 0
    public void Jit_internal_counters_may_move_ten_percent(long before, long after, bool fails)
    {
        var findings = GateComparison.Compare(Make(1000, before), Make(1000, after));
        Assert.Equal(fails, findings.Any(f => f.IsFailure && f.Counter == "regionsCompiled"));
    }

    [Fact]
    public void An_exit_reason_that_appears_is_compared_against_zero()
    {
        var findings = GateComparison.Compare(Make(1000, 5), Make(1000, 5, exits: [("hlt", 3)]));
        var f = Assert.Single(findings);
        Assert.True(f.IsFailure);
        Assert.Equal("g/svm: exit:hlt: baseline 0, now 3 (+3, exact)", f.ToString());
    }

    [Fact]
    public void A_new_jit_counter_is_a_note_not_a_failure()
    {
        var findings = GateComparison.Compare(Make(1000, 5), Make(1000, 5, extra: [("ilBytesEmitted", 4096)]));
        var f = Assert.Single(findings);
        Assert.False(f.IsFailure);
        Assert.Equal("ilBytesEmitted", f.Counter);
    }

    [Fact]
    public void A_different_console_digest_fails_with_both_digests()
    {
        var now = Make(1000, 5) with { ConsoleSha256 = "ff" };
        var f = Assert.Single(GateComparison.Compare(Make(1000, 5), now));
        Assert.Equal("g/svm: consoleSha256: baseline 00, now ff (exact)", f.ToString());
    }
}
