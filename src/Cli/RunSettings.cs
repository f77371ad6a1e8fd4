using System.CommandLine;
using JitVirt.Cli.Logging;
using JitVirt.Cli.Trace;

namespace JitVirt.Cli;

/// <summary>JitVirt's own run options (what to observe and report), parsed and checked before the machine is built.</summary>
public sealed record RunSettings
{
    public string Vm { get; init; } = FrontEndCatalog.DefaultFrontEnd;
    /// <summary>--vm was given on the command line (not the default).</summary>
    public bool VmGiven { get; init; }
    public bool Stats { get; init; }
    public string? JsonPath { get; init; }
    public KvmTraceEvents Trace { get; init; }
    public string? Until { get; init; }
    public QemuLogItems LogItems { get; init; }
    /// <summary>-D FILE: where the -d log goes (null: stderr).</summary>
    public string? LogFile { get; init; }
    /// <summary>-smp: the vCPUs asked for (only one is accepted).</summary>
    public int Vcpus { get; init; } = SmpSpec.SupportedCpus;
    /// <summary>--tier: how a front end's guest code runs.</summary>
    public ExecutionTier Tier { get; init; } = ExecutionTier.Il;
    /// <summary>--jit-threshold (null: <see cref="JitVirt.IlJit.TieredExecutor.DefaultThreshold"/>).</summary>
    public long? JitThreshold { get; init; }
    /// <summary>--deterministic: IL compilation must not depend on host timing either.</summary>
    public bool Deterministic { get; init; }

    /// <summary>Exit timing (two timestamps per exit) is paid for only when a report will show it.</summary>
    public bool TimeExits => Stats || JsonPath is not null;

    public static RunSettings From(ParseResult result, RunOptions options)
    {
        string? json = result.GetValue(options.Json);
        CheckOutputFile("--json", json);
        string? logFile = result.GetValue(options.LogFile);
        CheckOutputFile("-D", logFile);
        int vcpus = result.GetValue(options.Smp) is { } smp ? SmpSpec.Parse(smp) : SmpSpec.SupportedCpus;
        string? until = result.GetValue(options.Until);
        if (until is { Length: 0 }) throw new UsageException("--until needs a non-empty marker");
        string? trace = result.GetValue(options.Trace);
        long? threshold = result.GetValue(options.JitThreshold);
        if (threshold is < 0) throw new UsageException("--jit-threshold must be 0 or more");
        return new RunSettings
        {
            Vm = result.GetValue(options.Vm)!,
            VmGiven = result.GetResult(options.Vm) is { Implicit: false },
            Stats = result.GetValue(options.Stats),
            JsonPath = json,
            Trace = trace is null ? KvmTraceEvents.None : KvmTraceEventList.Parse(trace),
            Until = until,
            LogItems = QemuLogItemList.Parse(result.GetValue(options.DebugItems)),
            LogFile = logFile,
            Vcpus = vcpus,
            Tier = ExecutionTierNames.Parse(result.GetValue(options.Tier)!),
            JitThreshold = threshold,
            Deterministic = result.GetValue(options.Deterministic),
        };
    }

    /// <summary>A file the run will write: its directory must exist and it must not be a directory.</summary>
    private static void CheckOutputFile(string option, string? path)
    {
        if (path is null) return;
        if (path.Length == 0) throw new UsageException($"{option} needs a file name");
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is null || !Directory.Exists(directory)) throw new UsageException($"{option}: directory of '{path}' does not exist");
        if (Directory.Exists(path)) throw new UsageException($"{option}: '{path}' is a directory");
    }
}
