using BenchmarkDotNet.Attributes;
using JitVirt.TestGuests;
using JitVirt.Cpu.Execution;

namespace JitVirt.Bench;

/// <summary>
/// Tier-0 interpreter throughput on three guest loops. Each invocation runs
/// <see cref="Instructions"/> guest instructions, so the reported time per operation is the time
/// per guest instruction: MIPS = 1000 / (ns per op).
/// </summary>
[MemoryDiagnoser]
public class InterpreterBenchmarks
{
    public const int Instructions = 2_000_000;

    BareMetal _integer = null!, _memory = null!, _branchy = null!;

    [GlobalSetup]
    public void Setup()
    {
        _integer = new BareMetal(ComputeGuests.IntegerLoop);
        _memory = new BareMetal(ComputeGuests.MemoryCopyLoop);
        _branchy = new BareMetal(ComputeGuests.BranchyLoop);
        foreach (var g in new[] { _integer, _memory, _branchy }) Check(g);
    }

    /// <summary>A guest that faults or stops would make the figure meaningless.</summary>
    static void Check(BareMetal g)
    {
        var stop = g.Interpreter.Run(100_000);
        if (stop != StopReason.BudgetExhausted || g.Cpu.UnimplementedInstructions.Count != 0)
            throw new InvalidOperationException($"guest stopped ({stop}); unimplemented: {string.Join(",", g.Cpu.UnimplementedInstructions.Keys)}");
    }

    [Benchmark(OperationsPerInvoke = Instructions)]
    public StopReason IntegerLoop() => _integer.Interpreter.Run(Instructions);

    [Benchmark(OperationsPerInvoke = Instructions)]
    public StopReason MemoryCopyLoop() => _memory.Interpreter.Run(Instructions);

    [Benchmark(OperationsPerInvoke = Instructions)]
    public StopReason BranchyLoop() => _branchy.Interpreter.Run(Instructions);

    [GlobalCleanup]
    public void Cleanup()
    {
        _integer.Dispose();
        _memory.Dispose();
        _branchy.Dispose();
    }
}
