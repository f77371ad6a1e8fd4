using BenchmarkDotNet.Attributes;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Fpu;
using JitVirt.TestGuests;

namespace JitVirt.Bench;

/// <summary>
/// FSIN in the interpreter on the host x87 (HostX87) and on the portable software path
/// (ExtendedTranscendentals), decision 0014. The guest iterates x ← sin x from 1 (FSIN; JMP), which
/// stays a normal number in (0, 1]; the time per operation is one FSIN plus one JMP.
/// </summary>
public class X87TranscendentalBenchmarks
{
    const int Iterations = 10_000;

    BareMetal _guest = null!;

    [Params(true, false)]
    public bool Host { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        if (Host && !HostX87.IsSupported) throw new PlatformNotSupportedException("no host x87 path on this host");
        X87Transcendentals.UseHost = Host;
        _guest = new BareMetal(a =>
        {
            var top = a.CreateLabel();
            a.fninit();
            a.fld1();
            a.Label(ref top);
            a.fsin();
            a.jmp(top);
        });
        var stop = _guest.Interpreter.Run(1000);
        if (stop != StopReason.BudgetExhausted || _guest.Cpu.UnimplementedInstructions.Count != 0)
            throw new InvalidOperationException($"guest stopped ({stop})");
    }

    [Benchmark(OperationsPerInvoke = Iterations)]
    public StopReason FsinLoop() => _guest.Interpreter.Run(2 * Iterations);

    [GlobalCleanup]
    public void Cleanup()
    {
        X87Transcendentals.UseHost = HostX87.IsSupported;
        _guest.Dispose();
    }
}
