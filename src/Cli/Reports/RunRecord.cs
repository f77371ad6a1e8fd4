using JitVirt.Virtualization;

namespace JitVirt.Cli.Reports;

/// <summary>What was asked for: the options that shape a run, as given.</summary>
public sealed record RunConfiguration
{
    public required IReadOnlyList<string> Arguments { get; init; }
    /// <summary>The front end asked for with --vm (svm by default; "none" for the bare interpreter vCPU).</summary>
    public string? Vm { get; init; }
    /// <summary>The front end that really hosted the guest (null: the plain interpreter vCPU).</summary>
    public string? FrontEnd { get; init; }
    public bool Demo { get; init; }
    public string? Kernel { get; init; }
    public string? Initrd { get; init; }
    public string? Bios { get; init; }
    public string? Append { get; init; }
    public ulong MemoryBytes { get; init; }
    public IReadOnlyList<string> Devices { get; init; } = [];
    public bool Deterministic { get; init; }
    public bool NoReboot { get; init; }
    public double? TimeoutSeconds { get; init; }
    public string? Until { get; init; }
    /// <summary>vCPUs (-smp; JitVirt runs one).</summary>
    public int Vcpus { get; init; } = 1;
    /// <summary>The -d log items, as given (null: none).</summary>
    public string? LogItems { get; init; }
    /// <summary>How guest code ran: "il" or "interpreter" under a front end, "interpreter" without one.</summary>
    public string Tier { get; init; } = "interpreter";
}

/// <summary>How a run ended.</summary>
public sealed record RunEnd
{
    /// <summary>The machine's outcome (DebugExit, PowerOff, Reset, Shutdown, Halted, Timeout, Cancelled, HostError) or "Marker" for --until.</summary>
    public required string Kind { get; init; }
    /// <summary>The process exit status jitvirt returns for it.</summary>
    public int ExitStatus { get; init; }
    /// <summary>The value v the guest wrote to isa-debug-exit (the status is (v &lt;&lt; 1) | 1); null when it did not.</summary>
    public int? GuestExitCode { get; init; }
    public bool MarkerSeen { get; init; }
    /// <summary>Triple fault (the processor shut down).</summary>
    public bool Shutdown { get; init; }
    public bool Timeout { get; init; }
    public string? Message { get; init; }
}

/// <summary>One run, as --stats prints it and --json stores it.</summary>
public sealed record RunRecord
{
    public required RunConfiguration Configuration { get; init; }
    public required RunEnd End { get; init; }
    public double WallSeconds { get; init; }
    /// <summary>Processor time of the jitvirt process during the run (all threads).</summary>
    public double CpuSeconds { get; init; }
    public IReadOnlyList<ExitRecord> Exits { get; init; } = [];
    public IReadOnlyList<RunCounter> Counters { get; init; } = [];
    /// <summary>Where the vCPU thread's wall time went (sampled), and the compile time; null when not measured.</summary>
    public JitVirt.Cli.Profiling.TimeSplit? TimeSplit { get; init; }
}
