using JitVirt.SingleStep;
using Xunit;
using Xunit.Abstractions;

namespace JitVirt.Cpu.Tests.RealChip;

/// <summary>
/// Real-chip data: every test of the 80C286 subset in shared/data (directory overridable by
/// JITVIRT_SINGLESTEP_DIR). Every failure must be a documented 286-vs-386+ difference.
/// </summary>
public class SingleStep80286Tests(ITestOutputHelper output)
{
    [Fact]
    public void AllRealModeTestsPassOrAreDocumentedDifferences()
    {
        using var cpu = new JitVirtRealModeCpu();
        var runner = new SingleStepRunner(cpu, new SingleStepRunnerOptions { MaxFailuresPerForm = 2 });
        var report = runner.RunDirectory();
        output.WriteLine(report.ToText());
        Assert.True(report.Total >= 32_000, $"expected the full subset, ran {report.Total}");
        Assert.Equal(0, report.UnexpectedFailures);
    }
}
