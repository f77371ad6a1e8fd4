using BenchmarkDotNet.Attributes;
using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.IlJit;
using JitVirt.TestGuests;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Bench;

/// <summary>
/// Memory-bound guest loops per guest instruction on three tiers: the interpreter, the IL tier
/// (chained) with the inline memory fast path switched off (<see cref="MemoryFastPathSwitch"/>:
/// every memory operand calls the interpreter's handler, the tier before decision 0012), and the
/// IL tier with it on (loads and stores test the software TLB inline). MIPS = 1000 / (ns per op).
/// </summary>
[MemoryDiagnoser]
public class IlTierMemoryBenchmarks
{
    public const int Instructions = 2_000_000;

    public enum Tier { Interpreter, IlNoFastPath, IlFastPath }

    [Params(Tier.Interpreter, Tier.IlNoFastPath, Tier.IlFastPath)]
    public Tier Executor { get; set; }

    (BareMetal Machine, IExecutor Run)[] _guests = null!;

    /// <summary>
    /// Eight instructions, five with memory operands: a load, an ALU load, a read-modify-write,
    /// PUSH and POP, over a 4 KiB array.
    /// </summary>
    public static void MemoryMixProgram(Assembler a)
    {
        var outer = a.CreateLabel();
        var inner = a.CreateLabel();
        a.Label(ref outer);
        a.mov(rsi, (long)BareMetal.DataAddress);
        a.mov(ecx, 0x1000 / 8);
        a.Label(ref inner);
        a.mov(rax, __qword_ptr[rsi]);
        a.add(rbx, __qword_ptr[rsi + 8]);
        a.xor(__qword_ptr[rsi + 16], rax);
        a.push(rax);
        a.pop(rdx);
        a.add(rsi, 8);
        a.dec(ecx);
        a.jnz(inner);
        a.jmp(outer);
    }

    [GlobalSetup]
    public void Setup()
    {
        MemoryFastPathSwitch.Enabled = Executor == Tier.IlFastPath;
        _guests = new Action<Assembler>[] { ComputeGuests.MemoryCopyLoop, MemoryMixProgram }
            .Select(program =>
            {
                var m = new BareMetal(program);
                IExecutor run = Executor == Tier.Interpreter
                    ? m.Interpreter
                    : new TieredExecutor(m.Cpu, m.Interpreter, threshold: 0) { Chaining = true };
                var stop = run.Run(100_000); // warm: decode and compile every block
                if (stop != StopReason.BudgetExhausted || (run is TieredExecutor t && t.BlocksCompiled == 0))
                    throw new InvalidOperationException($"guest did not run ({stop})");
                return (m, run);
            })
            .ToArray();
    }

    [Benchmark(OperationsPerInvoke = Instructions)]
    public StopReason MemoryCopyLoop() => _guests[0].Run.Run(Instructions);

    [Benchmark(OperationsPerInvoke = Instructions)]
    public StopReason MemoryMixLoop() => _guests[1].Run.Run(Instructions);

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var (m, run) in _guests)
        {
            (run as IDisposable)?.Dispose();
            m.Dispose();
        }
        MemoryFastPathSwitch.Enabled = true; // blocks compiled in this run kept the setting of Setup
    }
}
