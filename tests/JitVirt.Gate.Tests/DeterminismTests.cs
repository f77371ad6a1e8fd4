using JitVirt.Cli.Gate;

namespace JitVirt.Gate.Tests;

/// <summary>Acceptance 1: two deterministic runs of each gate guest print the same console bytes and keep the same counters.</summary>
public class DeterminismTests
{
    [Theory]
    [MemberData(nameof(GateGuestRuns.All), MemberType = typeof(GateGuestRuns))]
    public void Two_runs_print_the_same_console_and_keep_the_same_counters(string guest, string frontEnd)
    {
        var first = GateGuestRuns.Measure(guest, frontEnd);
        var second = GateGuestRuns.Measure(guest, frontEnd);

        Assert.Equal("DebugExit", first.Outcome);
        Assert.NotEmpty(first.Console);
        Assert.Equal(first.Console, second.Console);
        Assert.Equal(first.Outcome, second.Outcome);
        Assert.Equal(first.ExitStatus, second.ExitStatus);
        Assert.Equal(first.Exact, second.Exact);
        Assert.Equal(first.Tolerant, second.Tolerant);
        Assert.Empty(GateComparison.Compare(first, second));
    }
}
