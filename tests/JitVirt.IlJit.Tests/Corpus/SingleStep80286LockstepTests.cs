using JitVirt.SingleStep;
using Xunit;
using Xunit.Abstractions;

namespace JitVirt.IlJit.Tests.Corpus;

/// <summary>
/// Acceptance 1 over the 80C286 real-mode single-step data (shared/data, or JITVIRT_SINGLESTEP_DIR):
/// every test runs on the interpreter and through compiled blocks side by side, with zero
/// disagreements allowed, and the compiled side's outcome must pass the data exactly as the
/// interpreter's does (every failure a documented 286-vs-386+ difference).
/// </summary>
public sealed class SingleStep80286LockstepTests(ITestOutputHelper output)
{
    [Fact]
    public void Every_80286_test_runs_the_same_compiled_and_interpreted()
    {
        using var cpu = new RealModeLockstepCpu();
        var runner = new SingleStepRunner(cpu, new SingleStepRunnerOptions { MaxFailuresPerForm = 2 });
        var report = runner.RunDirectory();
        output.WriteLine($"{cpu.Tests:N0} tests, {cpu.CompiledEntries:N0} compiled block entries, {cpu.BlocksCompiled:N0} blocks compiled, {cpu.Mismatches} lockstep mismatches");
        foreach (var m in cpu.FirstMismatches) output.WriteLine(m);
        Assert.True(report.Total >= 32_000, $"expected the full subset, ran {report.Total}");
        Assert.True(cpu.CompiledEntries >= report.Total, "every test entered compiled code");
        Assert.True(cpu.Mismatches == 0, $"{cpu.Mismatches} lockstep mismatches; first: {string.Join("\n", cpu.FirstMismatches)}");
        Assert.True(report.UnexpectedFailures == 0, report.ToText());
    }
}
