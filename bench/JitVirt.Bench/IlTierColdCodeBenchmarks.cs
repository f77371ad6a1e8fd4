using BenchmarkDotNet.Attributes;
using JitVirt.Cpu.Execution;
using JitVirt.IlJit;
using JitVirt.TestGuests;

namespace JitVirt.Bench;

/// <summary>
/// Acceptance 5 of the IL-tier issue: <see cref="IlTierGeneratedGuests.ColdBlocks"/> distinct blocks
/// run once each from a cold start, interpreter alone (the baseline) and tiered (compile thread, so
/// nothing compiles below the threshold): the tiered time must stay within 1.1× of the baseline.
/// Each iteration gets a fresh machine (building it, which assembles the guest, is not measured).
/// </summary>
[InvocationCount(1)]
public class IlTierColdCodeBenchmarks
{
    const int Instructions = IlTierGeneratedGuests.ColdBlocks * IlTierGeneratedGuests.ColdBlockInstructions;

    [Params(2, 32, TieredExecutor.DefaultThreshold)]
    public long Threshold { get; set; }

    BareMetal _machine = null!;
    TieredExecutor _tier = null!;

    [IterationSetup]
    public void Setup()
    {
        _machine = new BareMetal(IlTierGeneratedGuests.ColdStraightLine);
        _tier = new TieredExecutor(_machine.Cpu, _machine.Interpreter, Threshold) { Compilation = CompileMode.Background };
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Instructions)]
    public StopReason Interpreter() => _machine.Interpreter.Run(Instructions);

    [Benchmark(OperationsPerInvoke = Instructions)]
    public StopReason Tiered() => _tier.Run(Instructions);

    [IterationCleanup]
    public void Cleanup()
    {
        if (_machine.Cpu.InstructionsRetired != Instructions) throw new InvalidOperationException("the guest stopped early");
        _tier.Dispose();
        _machine.Dispose();
    }
}
