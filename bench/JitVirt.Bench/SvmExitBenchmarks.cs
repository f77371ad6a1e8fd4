using BenchmarkDotNet.Attributes;
using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.IlJit;
using JitVirt.Svm;
using JitVirt.TestGuests;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Bench;

/// <summary>
/// SVM exit round trips (issue 6, acceptance 5): a 64-bit guest loop of intercepted instructions —
/// CPUID, OUT to a port nothing decodes, RDMSR of IA32_APIC_BASE — under the SVM front end with its
/// 2.6.20 intercepts. Each one is guest → exit stub → #VMEXIT → handler → VMRUN → guest, in place.
/// Time is per intercepted instruction (the loop's JMP, one per <see cref="PerLoop"/> exits, is
/// included). <see cref="UnderSvm"/> = false runs the same loop on the bare processor, where the
/// instruction executes natively, so the difference is the cost of the exit.
/// </summary>
public class SvmExitBenchmarks
{
    public enum Exit { Cpuid, OutNullPort, Rdmsr }

    const int PerLoop = 16;
    const int Loops = 4096;
    const int Operations = PerLoop * Loops;

    [Params(Exit.Cpuid, Exit.OutNullPort, Exit.Rdmsr)]
    public Exit Kind { get; set; }

    [Params(true, false)]
    public bool UnderSvm { get; set; }

    [Params(false, true)]
    public bool IlTier { get; set; }

    BareMetal _machine = null!;
    IExecutor _executor = null!;
    SvmFrontEnd? _svm;

    [GlobalSetup]
    public void Setup()
    {
        _machine = new BareMetal(Program(Kind));
        _executor = IlTier ? new TieredExecutor(_machine.Cpu, _machine.Interpreter, threshold: 0) : _machine.Interpreter;
        if (UnderSvm)
        {
            _svm = new SvmFrontEnd(_machine.Cpu, _executor);
            _svm.Reset();
        }
        Invoke(); // warm: decode (and compile) the loop
        if (UnderSvm && _svm!.Exits.Total < Operations)
            throw new InvalidOperationException($"only {_svm.Exits.Total} exits: the instruction is not intercepted");
    }

    static Action<Assembler> Program(Exit kind) => a =>
    {
        var loop = a.CreateLabel();
        a.mov(ecx, 0x1B);
        a.Label(ref loop);
        for (int k = 0; k < PerLoop; k++)
        {
            switch (kind)
            {
                case Exit.Cpuid: a.xor(eax, eax); a.cpuid(); break; // leaf 0 each time (CPUID overwrites EAX)
                case Exit.OutNullPort: a.@out(0x80, al); break;
                default: a.rdmsr(); break;
            }
        }
        a.jmp(loop);
    };

    /// <summary>Instructions per loop pass: the intercepted ones (CPUID needs its XOR for a fixed leaf) and the JMP.</summary>
    int InstructionsPerLoop => (Kind == Exit.Cpuid ? 2 * PerLoop : PerLoop) + 1;

    [Benchmark(OperationsPerInvoke = Operations)]
    public StopReason RoundTrip() => Invoke();

    StopReason Invoke()
    {
        long budget = (long)InstructionsPerLoop * Loops;
        return _svm is { } svm ? svm.Run(budget) : _executor.Run(budget);
    }

    [GlobalCleanup]
    public void Cleanup() => _machine.Dispose();
}
