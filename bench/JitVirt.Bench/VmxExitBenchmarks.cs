using BenchmarkDotNet.Attributes;
using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.TestGuests;
using JitVirt.Vmx;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Bench;

/// <summary>
/// VMX exit round trips (exit, handler, VM entry) for the three exits issue 7 names: CPUID, OUT to a
/// port nobody decodes, RDMSR. Each guest is a two-instruction loop (the exiting instruction and a
/// JMP) under <see cref="VmxFrontEnd"/> over the interpreter, so one operation = one exit plus one
/// interpreted JMP. <see cref="Vpid"/> false is 2.6.20's setup (every entry flushes the software
/// TLB, SDM vol.3C §29.4.3.1); true tags translations instead. The SVM front end's benchmark uses
/// the same three loops, so the two tables line up.
/// </summary>
[MemoryDiagnoser]
public class VmxExitBenchmarks
{
    public const int Exits = 100_000;

    [Params(false, true)]
    public bool Vpid;

    (BareMetal Machine, VmxFrontEnd Vmx)[] _guests = null!;

    static Action<Assembler> Loop(Action<Assembler> exiting) => a =>
    {
        a.mov(ecx, 0x174);                 // IA32_SYSENTER_CS for RDMSR
        var top = a.CreateLabel();
        a.Label(ref top);
        exiting(a);
        a.jmp(top);
    };

    [GlobalSetup]
    public void Setup()
    {
        _guests = new[] { Loop(a => a.cpuid()), Loop(a => a.@out(0x80, al)), Loop(a => a.rdmsr()) }
            .Select(program =>
            {
                var m = new BareMetal(program);
                var vmx = new VmxFrontEnd(m.Cpu, m.Interpreter) { UseVpid = Vpid };
                vmx.Reset();
                var stop = vmx.Run(10_000);
                if (stop != StopReason.BudgetExhausted || vmx.Exits.Total < 4_000)
                    throw new InvalidOperationException($"guest did not loop through exits ({stop}, {vmx.Exits.Total} exits)");
                return (m, vmx);
            })
            .ToArray();
    }

    // Two instructions per exit: the budget is twice the number of exits.
    [Benchmark(OperationsPerInvoke = Exits)]
    public StopReason CpuidExit() => _guests[0].Vmx.Run(2 * Exits);

    [Benchmark(OperationsPerInvoke = Exits)]
    public StopReason OutNullPortExit() => _guests[1].Vmx.Run(2 * Exits);

    [Benchmark(OperationsPerInvoke = Exits)]
    public StopReason RdmsrExit() => _guests[2].Vmx.Run(2 * Exits);

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var (m, _) in _guests) m.Dispose();
    }
}
