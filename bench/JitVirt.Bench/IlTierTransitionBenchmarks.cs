using BenchmarkDotNet.Attributes;
using JitVirt.Cpu.Execution;
using JitVirt.IlJit;
using JitVirt.TestGuests;

namespace JitVirt.Bench;

/// <summary>
/// The cost of going from one compiled block to the next: a cycle of one-instruction blocks (JMP
/// next, <see cref="IlTierGeneratedGuests.JumpCycle"/>), so time per guest instruction is time per
/// block transition (plus one JMP): between members of one region (an IL branch with the
/// dispatcher's checks), through a chain slot between one-block regions, through the dispatcher
/// (chaining off), and in the interpreter.
/// </summary>
public class IlTierTransitionBenchmarks
{
    public const int Blocks = 1_000_000;

    BareMetal _region = null!, _chained = null!, _dispatched = null!, _interpreted = null!;
    TieredExecutor _regionTier = null!, _chainedTier = null!, _dispatchedTier = null!;

    [GlobalSetup]
    public void Setup()
    {
        _region = new BareMetal(IlTierGeneratedGuests.JumpCycle);
        _chained = new BareMetal(IlTierGeneratedGuests.JumpCycle);
        _dispatched = new BareMetal(IlTierGeneratedGuests.JumpCycle);
        _interpreted = new BareMetal(IlTierGeneratedGuests.JumpCycle);
        _regionTier = new TieredExecutor(_region.Cpu, _region.Interpreter, threshold: 0);
        _chainedTier = new TieredExecutor(_chained.Cpu, _chained.Interpreter, threshold: 0) { MaxRegionInstructions = 1 };
        _dispatchedTier = new TieredExecutor(_dispatched.Cpu, _dispatched.Interpreter, threshold: 0) { Chaining = false, MaxRegionInstructions = 1 };
        _regionTier.Run(10_000);
        _chainedTier.Run(10_000);
        _dispatchedTier.Run(10_000);
        _interpreted.Interpreter.Run(10_000);
        if (_chainedTier.LinksMade < IlTierGeneratedGuests.CycleBlocks - 1) throw new InvalidOperationException($"only {_chainedTier.LinksMade} links");
        if (_regionTier.LinksMade > 0) throw new InvalidOperationException($"the cycle should be one region's internal edges, but {_regionTier.LinksMade} links were made");
    }

    [Benchmark(OperationsPerInvoke = Blocks)]
    public StopReason RegionEdge() => _regionTier.Run(Blocks);

    [Benchmark(OperationsPerInvoke = Blocks)]
    public StopReason Chained() => _chainedTier.Run(Blocks);

    [Benchmark(OperationsPerInvoke = Blocks)]
    public StopReason Dispatched() => _dispatchedTier.Run(Blocks);

    [Benchmark(Baseline = true, OperationsPerInvoke = Blocks)]
    public StopReason Interpreted() => _interpreted.Interpreter.Run(Blocks);

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var t in new[] { _regionTier, _chainedTier, _dispatchedTier }) t.Dispose();
        foreach (var m in new[] { _region, _chained, _dispatched, _interpreted }) m.Dispose();
    }
}
