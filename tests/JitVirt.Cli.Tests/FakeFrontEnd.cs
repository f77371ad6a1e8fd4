using Iced.Intel;
using JitVirt.Cpu;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Virtualization;
using JitVirt.Virtualization;
using CpuT = JitVirt.Cpu.Cpu;

namespace JitVirt.Cli.Tests;

/// <summary>
/// A stand-in for the SVM and VMX front ends: it takes an "exit" (counted in an <see cref="ExitStatistics"/>
/// and reported to the tracer) on IN/OUT, CPUID, RDMSR/WRMSR and HLT, and on every external interrupt it
/// delivers, using KVM's names and exit codes of the architecture it pretends to be; then it lets the
/// executor run the instruction itself. Enough to drive the CLI's reports without the real front ends.
/// </summary>
public sealed class FakeFrontEnd : IFrontEnd, IInterceptController, IExitTraceSource, IRunCounterSource
{
    public sealed record Flavour(string Name, int TableSize, int Io, int MsrRead, int MsrWrite, int Cpuid, int Hlt, int Intr, ExitKind?[] Kinds);

    /// <summary>SVM exit codes (AMD APM vol.2 Appendix C) with the names of Linux's SVM_EXIT_REASONS.</summary>
    public static Flavour Svm { get; } = Make("svm", 0x80, io: 0x7B, msrRead: 0x7C, msrWrite: 0x7C, cpuid: 0x72, hlt: 0x78, intr: 0x60,
        (0x7B, new ExitKind("io", ExitCategory.Io)), (0x7C, new ExitKind("msr", ExitCategory.MsrRead)),
        (0x72, new ExitKind("cpuid", ExitCategory.Cpuid)), (0x78, new ExitKind("hlt", ExitCategory.Hlt)),
        (0x60, new ExitKind("intr", ExitCategory.ExternalInterrupt)));

    /// <summary>VMX basic exit reasons (SDM vol.3D Appendix C) with the names of Linux's VMX_EXIT_REASONS.</summary>
    public static Flavour Vmx { get; } = Make("vmx", 65, io: 30, msrRead: 31, msrWrite: 32, cpuid: 10, hlt: 12, intr: 1,
        (30, new ExitKind("IO_INSTRUCTION", ExitCategory.Io)), (31, new ExitKind("MSR_READ", ExitCategory.MsrRead)),
        (32, new ExitKind("MSR_WRITE", ExitCategory.MsrWrite)), (10, new ExitKind("CPUID", ExitCategory.Cpuid)),
        (12, new ExitKind("HLT", ExitCategory.Hlt)), (1, new ExitKind("EXTERNAL_INTERRUPT", ExitCategory.ExternalInterrupt)));

    private static Flavour Make(string name, int size, int io, int msrRead, int msrWrite, int cpuid, int hlt, int intr, params (int Code, ExitKind Kind)[] kinds)
    {
        var table = new ExitKind?[size];
        foreach (var (code, kind) in kinds) table[code] = kind;
        return new Flavour(name, size, io, msrRead, msrWrite, cpuid, hlt, intr, table);
    }

    private readonly CpuT _cpu;
    private readonly IExecutor _executor;
    private readonly Flavour _flavour;
    private int _resets;

    public FakeFrontEnd(CpuT cpu, IExecutor executor, Flavour flavour)
    {
        _cpu = cpu;
        _executor = executor;
        _flavour = flavour;
        Exits = new ExitStatistics(flavour.Kinds);
        cpu.AttachInterceptController(this);
    }

    public string Name => _flavour.Name;
    public ExitStatistics Exits { get; }
    public IExitTracer? Tracer { get; set; }

    /// <summary>Throw from <see cref="Run"/> once this many runs have happened (a host-side failure).</summary>
    public int ThrowAfterRuns { get; init; } = int.MaxValue;
    private int _runs;

    public StopReason Run(long instructionBudget)
    {
        if (++_runs > ThrowAfterRuns) throw new InvalidOperationException("fake front end failure");
        return _executor.Run(instructionBudget);
    }

    public void Reset() => _resets++;

    public IEnumerable<RunCounter> Counters() => [new("fakeResets", "fake front-end resets", _resets)];

    public bool MayIntercept(in Instruction i) => i.Mnemonic is Mnemonic.In or Mnemonic.Out or Mnemonic.Cpuid or Mnemonic.Rdmsr or Mnemonic.Wrmsr or Mnemonic.Hlt;

    public bool TryInterceptInstruction(CpuT cpu, in Instruction i)
    {
        long start = Exits.Start();
        int code = i.Mnemonic switch
        {
            Mnemonic.In or Mnemonic.Out => _flavour.Io,
            Mnemonic.Cpuid => _flavour.Cpuid,
            Mnemonic.Rdmsr => _flavour.MsrRead,
            Mnemonic.Wrmsr => _flavour.MsrWrite,
            _ => _flavour.Hlt,
        };
        Tracer?.Exit((uint)code, _flavour.Kinds[code]!.Value.Name, cpu.Rip, 0, 0, 0, 0);
        if (i.Mnemonic == Mnemonic.Out && i.Op0Kind == OpKind.Immediate8 || i.Mnemonic == Mnemonic.Out && i.Op0Register == Register.DX)
        {
            ushort port = i.Op0Kind == OpKind.Immediate8 ? i.Immediate8 : (ushort)cpu.Gpr[2];
            int size = i.Op1Register.GetSize();
            Tracer?.Pio(true, port, size, 1, (uint)(cpu.Gpr[0] & (size == 1 ? 0xFFu : size == 2 ? 0xFFFFu : 0xFFFF_FFFFu)));
        }
        Tracer?.Entry(cpu.Rip);
        Exits.Record(code, start);
        return false; // the executor runs the instruction itself
    }

    public bool TryInterceptException(CpuT cpu, in PendingExceptionInfo exception) => false;

    public bool OnInterruptCheck(CpuT cpu)
    {
        var source = cpu.Interrupts;
        if (source is null || cpu.InterruptShadow) return false;
        if (source.HasPendingNmi && !cpu.NmiBlocked)
        {
            source.AcknowledgeNmi();
            cpu.Halted = false;
            cpu.DeliverNmi();
            return true;
        }
        if (!cpu.InterruptFlag || !source.HasPendingInterrupt) return false;
        long start = Exits.Start();
        Tracer?.Exit((uint)_flavour.Intr, _flavour.Kinds[_flavour.Intr]!.Value.Name, cpu.Rip, 0, 0, 0, 0);
        byte vector = source.AcknowledgeInterrupt();
        cpu.Halted = false;
        cpu.DeliverExternalInterrupt(vector);
        Exits.Record(_flavour.Intr, start);
        return true;
    }

    public bool TryInterceptTaskSwitch(CpuT cpu, ushort selector, TaskSwitchSource source, bool hasErrorCode, uint errorCode) => false;

    /// <summary>A catalog with the fake SVM and VMX front ends.</summary>
    public static FrontEndCatalog Catalog(int throwAfterRuns = int.MaxValue) => new FrontEndCatalog()
        .With("svm", (cpu, executor) => new FakeFrontEnd(cpu, executor, Svm) { ThrowAfterRuns = throwAfterRuns })
        .With("vmx", (cpu, executor) => new FakeFrontEnd(cpu, executor, Vmx) { ThrowAfterRuns = throwAfterRuns });
}
