using BenchmarkDotNet.Attributes;
using JitVirt.Cpu.Execution;
using JitVirt.IlJit;
using JitVirt.TestGuests;

namespace JitVirt.Bench;

/// <summary>
/// The threshold choice: total time, from a cold start (nothing decoded, nothing compiled), for
/// <see cref="Instructions"/> guest instructions of <see cref="IlTierGeneratedGuests.Mixed"/> (hot,
/// lukewarm and cold loops) at several thresholds, compiling on the guest's thread (the whole
/// compile cost charged to the guest) and on the compile thread. The interpreter-only time is
/// <see cref="IlTierMixedInterpreterBaseline"/>. Reported time is per guest instruction.
/// </summary>
[InvocationCount(1)]
public class IlTierThresholdBenchmarks
{
    public const int Instructions = 4_000_000;

    [Params(2, 8, 32, 128, 512, 2048)]
    public long Threshold { get; set; }

    [Params(CompileMode.Synchronous, CompileMode.Background)]
    public CompileMode Mode { get; set; }

    BareMetal _machine = null!;
    TieredExecutor _tier = null!;
    readonly List<string> _notes = new();

    [IterationSetup]
    public void Setup()
    {
        _machine = new BareMetal(IlTierGeneratedGuests.Mixed);
        _tier = new TieredExecutor(_machine.Cpu, _machine.Interpreter, Threshold) { Compilation = Mode };
    }

    [Benchmark(OperationsPerInvoke = Instructions)]
    public StopReason Mixed() => _tier.Run(Instructions);

    [IterationCleanup]
    public void Cleanup()
    {
        if (_machine.Cpu.InstructionsRetired != Instructions) throw new InvalidOperationException("the guest stopped early");
        _notes.Add($"compiled {_tier.BlocksCompiled}, IL {_tier.IlBytes} B, compile {_tier.CompileTime.TotalMilliseconds:F1} ms, compiled runs {_tier.CompiledBlockRuns}");
        _tier.Dispose();
        _machine.Dispose();
    }

    [GlobalCleanup]
    public void Report()
    {
        // BenchmarkDotNet keeps the process output in its log: the compile figures behind the times.
        Console.WriteLine($"// IlTierThreshold T={Threshold} {Mode}: {(_notes.Count > 0 ? _notes[^1] : "no iteration")}");
    }
}

/// <summary>The interpreter alone on the same cold start and guest as <see cref="IlTierThresholdBenchmarks"/>.</summary>
[InvocationCount(1)]
public class IlTierMixedInterpreterBaseline
{
    BareMetal _machine = null!;

    [IterationSetup]
    public void Setup() => _machine = new BareMetal(IlTierGeneratedGuests.Mixed);

    [Benchmark(OperationsPerInvoke = IlTierThresholdBenchmarks.Instructions)]
    public StopReason Mixed() => _machine.Interpreter.Run(IlTierThresholdBenchmarks.Instructions);

    [IterationCleanup]
    public void Cleanup() => _machine.Dispose();
}
