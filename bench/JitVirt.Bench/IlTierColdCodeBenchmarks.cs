using BenchmarkDotNet.Attributes;
using JitVirt.Cpu.Execution;
using JitVirt.IlJit;
using JitVirt.TestGuests;

namespace JitVirt.Bench;

/// <summary>
/// Acceptance 5 of the IL-tier issue: <see cref="IlTierGeneratedGuests.ColdBlocks"/> distinct blocks
/// run once each from a cold start, interpreter alone (the baseline) and tiered (compile thread, so
/// nothing compiles below the threshold): the tiered time must stay within 1.1× of the baseline.
/// Each iteration gets <see cref="Machines"/> fresh machines and runs the guest once on each (building
/// them, which assembles the guest, is not measured): one cold run is ~50 ms, short enough for page
/// faults and GC to move a single run by ±25 %.
/// </summary>
[InvocationCount(1)]
public class IlTierColdCodeBenchmarks
{
    const int Machines = 8;
    const int Instructions = IlTierGeneratedGuests.ColdBlocks * IlTierGeneratedGuests.ColdBlockInstructions;

    [Params(2, 32, TieredExecutor.DefaultThreshold)]
    public long Threshold { get; set; }

    BareMetal[] _machines = null!;
    TieredExecutor[] _tiers = null!;

    [IterationSetup]
    public void Setup()
    {
        _machines = new BareMetal[Machines];
        _tiers = new TieredExecutor[Machines];
        for (int k = 0; k < Machines; k++)
        {
            _machines[k] = new BareMetal(IlTierGeneratedGuests.ColdStraightLine);
            _tiers[k] = new TieredExecutor(_machines[k].Cpu, _machines[k].Interpreter, Threshold) { Compilation = CompileMode.Background };
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Instructions * Machines)]
    public StopReason Interpreter()
    {
        var stop = StopReason.BudgetExhausted;
        foreach (var m in _machines) stop = m.Interpreter.Run(Instructions);
        return stop;
    }

    [Benchmark(OperationsPerInvoke = Instructions * Machines)]
    public StopReason Tiered()
    {
        var stop = StopReason.BudgetExhausted;
        foreach (var t in _tiers) stop = t.Run(Instructions);
        return stop;
    }

    [IterationCleanup]
    public void Cleanup()
    {
        for (int k = 0; k < Machines; k++)
        {
            if (_machines[k].Cpu.InstructionsRetired != Instructions) throw new InvalidOperationException("the guest stopped early");
            _tiers[k].Dispose();
            _machines[k].Dispose();
        }
    }
}
