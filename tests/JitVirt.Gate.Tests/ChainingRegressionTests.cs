using JitVirt.Cli.Gate;

namespace JitVirt.Gate.Tests;

/// <summary>
/// Acceptance 2: turning block chaining off (the test-only switch) is a regression the gate reports by
/// counter, with both values, while every guest-visible figure stays the same.
/// </summary>
public class ChainingRegressionTests
{
    [Theory]
    [InlineData("svm")]
    [InlineData("vmx")]
    public void Gate_fails_on_links_made_when_chaining_is_off(string frontEnd)
    {
        var guests = new[] { GateGuestRuns.Guest("integer") };
        // Single blocks: a region holds the whole integer loop and needs no links (decision 0010), so the
        // switch shows only where bodies transfer to each other.
        var baselineRuns = new RegressionGate(new GateSettings { FrontEnds = [frontEnd], MaxRegionInstructions = 1 }, TextWriter.Null, TextWriter.Null).Measure(guests);
        var baseline = new GateBaseline().With(baselineRuns, new GateSettings().CompileThreshold);

        var regressed = new RegressionGate(new GateSettings { FrontEnds = [frontEnd], Chaining = false, MaxRegionInstructions = 1 }, TextWriter.Null, TextWriter.Null).Measure(guests);
        var findings = RegressionGate.Check(baseline, regressed);

        long linksBefore = baselineRuns[0].Tolerant["linksMade"];
        Assert.True(linksBefore > 0, "the integer loop is 64-bit code on one page: chaining must link it");
        var links = Assert.Single(findings, f => f.Counter == "linksMade");
        Assert.True(links.IsFailure);
        Assert.Equal($"integer/{frontEnd}: linksMade: baseline {linksBefore}, now 0 (-100.0%, tolerance ±10%)", links.ToString());
        // Without links every loop iteration comes back to the dispatcher: compiled runs jump by orders of magnitude.
        var runs = Assert.Single(findings, f => f.Counter == "compiledRegionRuns");
        Assert.True(runs.IsFailure);
        Assert.Contains($"baseline {baselineRuns[0].Tolerant["compiledRegionRuns"]}, now {regressed[0].Tolerant["compiledRegionRuns"]}", runs.ToString());
        // The guest cannot tell: same console, same instructions, same exits.
        Assert.DoesNotContain(findings, f => GateCounterKinds.IsExact(f.Counter) || f.Counter.StartsWith("console", StringComparison.Ordinal));
    }

    [Fact]
    public void Gate_passes_a_run_against_its_own_baseline_and_fails_when_an_exact_counter_moves_by_one()
    {
        var gate = new RegressionGate(new GateSettings { FrontEnds = ["svm"] }, TextWriter.Null, TextWriter.Null);
        var runs = gate.Measure([GateGuestRuns.Guest("exits")]);
        var baseline = new GateBaseline().With(runs, 2);
        Assert.DoesNotContain(RegressionGate.Check(baseline, runs), f => f.IsFailure);

        long retired = runs[0].Exact["guestInstructionsRetired"];
        var exact = new SortedDictionary<string, long>(runs[0].Exact, StringComparer.Ordinal) { ["guestInstructionsRetired"] = retired + 1 };
        var tampered = new GateBaseline().With([runs[0] with { Exact = exact }], 2);
        var failure = Assert.Single(RegressionGate.Check(tampered, runs), f => f.IsFailure);
        Assert.Equal($"exits/svm: guestInstructionsRetired: baseline {retired + 1}, now {retired} (-1, exact)", failure.ToString());
    }
}
