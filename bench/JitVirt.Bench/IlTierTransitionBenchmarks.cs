using BenchmarkDotNet.Attributes;
using JitVirt.Cpu.Execution;
using JitVirt.IlJit;
using JitVirt.TestGuests;

namespace JitVirt.Bench;

/// <summary>
/// The cost of going from one compiled block to the next: a cycle of one-instruction blocks (JMP
/// next, <see cref="IlTierGeneratedGuests.JumpCycle"/>), so time per guest instruction is time per
/// block transition (plus one JMP), through a chain slot, through the dispatcher (chaining off),
/// and in the interpreter.
/// </summary>
public class IlTierTransitionBenchmarks
{
    public const int Blocks = 1_000_000;

    BareMetal _chained = null!, _dispatched = null!, _interpreted = null!;
    TieredExecutor _chainedTier = null!, _dispatchedTier = null!;

    [GlobalSetup]
    public void Setup()
    {
        _chained = new BareMetal(IlTierGeneratedGuests.JumpCycle);
        _dispatched = new BareMetal(IlTierGeneratedGuests.JumpCycle);
        _interpreted = new BareMetal(IlTierGeneratedGuests.JumpCycle);
        _chainedTier = new TieredExecutor(_chained.Cpu, _chained.Interpreter, threshold: 0);
        _dispatchedTier = new TieredExecutor(_dispatched.Cpu, _dispatched.Interpreter, threshold: 0) { Chaining = false };
        _chainedTier.Run(10_000);
        _dispatchedTier.Run(10_000);
        _interpreted.Interpreter.Run(10_000);
        if (_chainedTier.LinksMade < IlTierGeneratedGuests.CycleBlocks - 1) throw new InvalidOperationException($"only {_chainedTier.LinksMade} links");
    }

    [Benchmark(OperationsPerInvoke = Blocks)]
    public StopReason Chained() => _chainedTier.Run(Blocks);

    [Benchmark(OperationsPerInvoke = Blocks)]
    public StopReason Dispatched() => _dispatchedTier.Run(Blocks);

    [Benchmark(Baseline = true, OperationsPerInvoke = Blocks)]
    public StopReason Interpreted() => _interpreted.Interpreter.Run(Blocks);

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var m in new[] { _chained, _dispatched, _interpreted }) m.Dispose();
    }
}
