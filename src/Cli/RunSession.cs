using System.CommandLine;
using System.Diagnostics;
using JitVirt.Cli.Logging;
using JitVirt.Cli.Profiling;
using JitVirt.Cli.Reports;
using JitVirt.Cli.Status;
using JitVirt.Cli.Trace;
using JitVirt.Cpu.Execution;
using JitVirt.Machine.Pc;
using JitVirt.Virtualization;

namespace JitVirt.Cli;

/// <summary>
/// One guest run from a parsed command line: build the machine (with the front end <c>--vm</c> names),
/// wire the observers (--until, --trace, exit timing), run, and turn the end into a <see cref="RunRecord"/>
/// and an exit status. The guest console is flushed by the machine on every way out.
/// </summary>
public sealed class RunSession
{
    private readonly ParseResult _result;
    private readonly RunOptions _options;
    private readonly string[] _arguments;
    private readonly Stream _stdout;
    private readonly TextWriter _stderr;
    private readonly FrontEndCatalog _catalog;
    private Interpreter? _interpreter; // the one under the IL tier too, for its block counters

    public RunSession(ParseResult result, RunOptions options, string[] arguments, Stream stdout, TextWriter stderr, FrontEndCatalog catalog)
    {
        _result = result;
        _options = options;
        _arguments = arguments;
        _stdout = stdout;
        _stderr = stderr;
        _catalog = catalog;
    }

    /// <summary>Set by <c>compare</c>: the front end to use whatever --vm says, and where the guest console goes.</summary>
    public string? VmOverride { get; init; }
    public bool DropConsoleUnlessSerialGiven { get; init; }

    /// <summary>Block chaining in the IL tier; off only where a test or the regression gate proves a regression is caught.</summary>
    public bool Chaining { get; init; } = true;

    /// <summary>The IL tier's region cap (TieredExecutor.MaxRegionInstructions); 1 compiles single blocks, as before regions.</summary>
    public int MaxRegionInstructions { get; init; } = JitVirt.IlJit.TieredExecutor.DefaultMaxRegionInstructions;

    /// <summary>stdout and stderr are a terminal: show a live status line (never with --trace, whose lines share stderr).</summary>
    public bool Interactive { get; init; }

    public LaunchPlan? Launch { get; private set; }

    public (RunRecord Record, int Status) Execute(RunSettings settings, CancellationToken cancellationToken)
    {
        var launch = LaunchPlan.From(_result, _options, _stdout);
        if (DropConsoleUnlessSerialGiven && _result.GetValue(_options.Serial) is null)
            launch = launch with { Config = launch.Config with { Serial = OutputTarget.None, DebugConsole = null } };
        Launch = launch;
        string vm = VmOverride ?? settings.Vm;
        FrontEndFactory? factory = _catalog.Resolve(vm);
        if (vm != FrontEndCatalog.NoFrontEnd && factory is null)
            _stderr.WriteLine($"jitvirt: note: front end '{vm}' is not built into this jitvirt yet; the guest runs on the interpreter vCPU");
        using var log = QemuLog.Open(settings.LogItems, settings.LogFile, _stderr);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        PcMachine? machineRef = null;
        ConsoleTaps? taps = null;
        var config = launch.Config;
        LiveStatus? liveStatus = null;
        IFrontEnd? frontEnd = null;
        IExecutor? executor = null;
        if (Interactive && settings.Trace == KvmTraceEvents.None && !log.OnStderr)
        {
            liveStatus = new LiveStatus(_stderr, factory is null ? "interpreter" : vm,
                () => machineRef?.Cpu.InstructionsRetired ?? 0, () => frontEnd?.Exits.Total ?? 0,
                () => machineRef is null ? 0 : RegionsBuilt(executor ?? (machineRef.Vcpu as InterpreterVcpu)?.Interpreter));
            config = WithStdoutThrough(config, new GuestConsoleGate(_stdout, liveStatus));
        }
        using var statusLifetime = liveStatus;
        if (settings.Until is { } marker)
        {
            (config, taps) = ConsoleTaps.Attach(config, marker, () =>
            {
                stop.Cancel();
                machineRef?.Cpu.RequestExit();
            });
        }
        using var tapsLifetime = taps;

        var trace = settings.Trace != KvmTraceEvents.None ? new KvmTraceLog(_stderr, settings.Trace) : null;
        Func<JitVirt.Cpu.Cpu, IVcpu>? vcpuFactory = factory is null ? null : cpu =>
        {
            executor = CreateExecutor(cpu, settings);
            frontEnd = factory(cpu, executor);
            frontEnd.Exits.Timing = settings.TimeExits;
            if (trace is not null && frontEnd is IExitTraceSource source) source.Tracer = trace;
            return new FrontEndVcpu(cpu, frontEnd);
        };
        if (trace is not null && factory is null)
            _stderr.WriteLine($"jitvirt: note: --trace has no effect without a front end (--vm {vm})");

        using var machine = new PcMachine(config, vcpuFactory);
        long codeFrameWrites = 0;
        machine.Cpu.CodeFrameInvalidated += _ => codeFrameWrites++;
        using var tierLifetime = executor as IDisposable; // the IL tier's compile thread
        machineRef = machine;
        if (trace is not null) trace.ClockNanoseconds = () => machine.Clock.NowNanoseconds;
        if (trace is not null && frontEnd is not null && frontEnd is not IExitTraceSource)
            _stderr.WriteLine($"jitvirt: note: front end '{frontEnd.Name}' reports no tracepoints");
        log.Attach(machine);
        machine.Boot(launch.Image);
        _stderr.Flush(); // the notes above appear before the guest starts

        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        using var sampler = settings.TimeExits ? new ActivitySampler(machine.Cpu) : null; // --stats/--json: the time split
        liveStatus?.Start();
        sampler?.Start();
        var outcome = machine.Run(stop.Token, launch.Timeout);
        var histogram = sampler?.Stop();
        liveStatus?.Dispose();
        process.Refresh();
        var cpuTime = process.TotalProcessorTime - cpuBefore;
        _stderr.Flush();

        bool markerSeen = taps?.Seen ?? false;
        bool stoppedByMarker = markerSeen && outcome.Outcome == RunOutcome.Cancelled && !cancellationToken.IsCancellationRequested;
        int status = stoppedByMarker ? CliExitCodes.Success : JitVirtCli.ExitCodeOf(outcome);
        var record = new RunRecord
        {
            Configuration = Configuration(launch, settings, vm, frontEnd),
            End = new RunEnd
            {
                Kind = stoppedByMarker ? "Marker" : outcome.Outcome.ToString(),
                ExitStatus = status,
                GuestExitCode = outcome.Outcome == RunOutcome.DebugExit ? outcome.ExitStatus >> 1 : null,
                MarkerSeen = markerSeen,
                Shutdown = outcome.Outcome == RunOutcome.Shutdown,
                Timeout = outcome.Outcome == RunOutcome.Timeout,
                Message = outcome.Message,
            },
            WallSeconds = outcome.WallTime.TotalSeconds,
            CpuSeconds = cpuTime.TotalSeconds,
            Exits = frontEnd?.Exits.Snapshot().ToArray() ?? [],
            Counters = RunCounters.Collect(machine, outcome, executor, frontEnd, _interpreter, codeFrameWrites),
            TimeSplit = histogram is null ? null : SplitOf(histogram, executor),
        };
        log.RunEnded(machine, outcome);
        Outcome = outcome;
        return (record, status);
    }

    /// <summary>
    /// The executor under a front end: the IL tier over the interpreter unless --tier interpreter. Normally its
    /// compile thread installs bodies between blocks (guest-visible behaviour is the same either way); under
    /// --deterministic it compiles synchronously, so that the IL tier's own counters repeat from run to run as
    /// well (measured: BackgroundDeterministic still varied regionsCompiled between runs of the gate guests).
    /// </summary>
    private IExecutor CreateExecutor(JitVirt.Cpu.Cpu cpu, RunSettings settings)
    {
        var interpreter = new Interpreter(cpu);
        _interpreter = interpreter;
        if (settings.Tier == ExecutionTier.Interpreter) return interpreter;
        return new JitVirt.IlJit.TieredExecutor(cpu, interpreter, settings.JitThreshold ?? JitVirt.IlJit.TieredExecutor.DefaultThreshold)
        {
            Chaining = Chaining,
            MaxRegionInstructions = MaxRegionInstructions,
            Compilation = settings.Deterministic ? JitVirt.IlJit.CompileMode.Synchronous : JitVirt.IlJit.CompileMode.Background,
        };
    }

    /// <summary>The sampled split, with the IL tier's measured compile time and the thread it was spent on.</summary>
    private static TimeSplit SplitOf(ActivityHistogram histogram, IExecutor? executor) => executor is JitVirt.IlJit.TieredExecutor tiered
        ? TimeSplit.From(histogram, tiered.CompileTime.TotalSeconds, tiered.Compilation == JitVirt.IlJit.CompileMode.Synchronous ? "vcpu" : "background")
        : TimeSplit.From(histogram, null, null);

    /// <summary>Code regions built so far for the live status: IL regions compiled, or blocks the interpreter decoded.</summary>
    private static long RegionsBuilt(IExecutor? executor) => executor switch
    {
        JitVirt.IlJit.TieredExecutor tiered => tiered.BlocksCompiled,
        Interpreter interpreter => interpreter.Blocks.BlocksDecoded,
        _ => 0,
    };

    /// <summary>Routes the consoles that write to stdout through <paramref name="gate"/>.</summary>
    private MachineConfig WithStdoutThrough(MachineConfig config, Stream gate)
    {
        OutputTarget? Route(OutputTarget? t) => t is OutputTarget.StreamTarget s && ReferenceEquals(s.Stream, _stdout) ? OutputTarget.ToStream(gate, s.FlushEachLine) : t;
        var serial = Route(config.Serial)!;
        // Keep one target object when both consoles write to stdout, so the machine still shares one writer.
        var debugConsole = config.DebugConsole is not null && config.DebugConsole.Equals(config.Serial) ? serial : Route(config.DebugConsole);
        return config with { Serial = serial, DebugConsole = debugConsole };
    }

    /// <summary>The machine's own result of the last <see cref="Execute"/>.</summary>
    public RunResult? Outcome { get; private set; }

    private RunConfiguration Configuration(LaunchPlan launch, RunSettings settings, string vm, IFrontEnd? frontEnd) => new()
    {
        Arguments = _arguments,
        Vm = vm,
        FrontEnd = frontEnd?.Name,
        Demo = launch.IsDemo,
        Kernel = _result.GetValue(_options.Kernel),
        Initrd = _result.GetValue(_options.Initrd),
        Bios = _result.GetValue(_options.Bios),
        Append = _result.GetValue(_options.Append),
        MemoryBytes = launch.Config.RamBytes,
        Devices = _result.GetValue(_options.Device) ?? [],
        Deterministic = launch.Config.Deterministic,
        NoReboot = launch.Config.NoReboot,
        TimeoutSeconds = launch.Timeout?.TotalSeconds,
        Until = settings.Until,
        Vcpus = settings.Vcpus,
        LogItems = _result.GetValue(_options.DebugItems),
        Tier = frontEnd is not null && settings.Tier == ExecutionTier.Il ? "il" : "interpreter",
    };
}
