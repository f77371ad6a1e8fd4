using BenchmarkDotNet.Attributes;
using JitVirt.Cpu.Execution;
using JitVirt.IlJit;
using JitVirt.TestGuests;

namespace JitVirt.Bench;

/// <summary>
/// The IL tier (synchronous <see cref="TieredExecutor"/>, blocks compiled on first entry) on the
/// same three guest loops as <see cref="InterpreterBenchmarks"/>: time per guest instruction once
/// every block is compiled, with chaining off (every body returns to the dispatcher) and on (bodies
/// on one page transfer to each other directly), and with single blocks (<see cref="MaxRegionInstructions"/>
/// 1, the tier before regions) or regions (a hot block and the blocks it reaches on its page, one
/// body), so the ratio to the interpreter is read from the two tables of one run.
/// </summary>
[MemoryDiagnoser]
public class IlTierBenchmarks
{
    public const int Instructions = 2_000_000;

    [Params(false, true)]
    public bool Chaining { get; set; }

    [Params(1, TieredExecutor.DefaultMaxRegionInstructions)]
    public int MaxRegionInstructions { get; set; }

    (BareMetal Machine, TieredExecutor Tier)[] _guests = null!;

    [GlobalSetup]
    public void Setup()
    {
        _guests = new[] { ComputeGuests.IntegerLoop, ComputeGuests.MemoryCopyLoop, ComputeGuests.BranchyLoop }
            .Select(program =>
            {
                var m = new BareMetal(program);
                var tier = new TieredExecutor(m.Cpu, m.Interpreter, threshold: 0) { Chaining = Chaining, MaxRegionInstructions = MaxRegionInstructions };
                var stop = tier.Run(100_000); // warm: decode and compile every block
                if (stop != StopReason.BudgetExhausted || tier.BlocksCompiled == 0)
                    throw new InvalidOperationException($"guest did not run compiled ({stop}, {tier.BlocksCompiled} blocks)");
                return (m, tier);
            })
            .ToArray();
    }

    [Benchmark(OperationsPerInvoke = Instructions)]
    public StopReason IntegerLoop() => _guests[0].Tier.Run(Instructions);

    [Benchmark(OperationsPerInvoke = Instructions)]
    public StopReason MemoryCopyLoop() => _guests[1].Tier.Run(Instructions);

    [Benchmark(OperationsPerInvoke = Instructions)]
    public StopReason BranchyLoop() => _guests[2].Tier.Run(Instructions);

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var (m, _) in _guests) m.Dispose();
    }
}
