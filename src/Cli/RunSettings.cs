using System.CommandLine;
using JitVirt.Cli.Trace;

namespace JitVirt.Cli;

/// <summary>JitVirt's own run options (what to observe and report), parsed and checked before the machine is built.</summary>
public sealed record RunSettings
{
    public string? Vm { get; init; }
    public bool Stats { get; init; }
    public string? JsonPath { get; init; }
    public KvmTraceEvents Trace { get; init; }
    public string? Until { get; init; }
    public bool DumpCpuReset { get; init; }

    /// <summary>Exit timing (two timestamps per exit) is paid for only when a report will show it.</summary>
    public bool TimeExits => Stats || JsonPath is not null;

    public static RunSettings From(ParseResult result, RunOptions options)
    {
        string? json = result.GetValue(options.Json);
        if (json is not null)
        {
            if (json.Length == 0) throw new UsageException("--json needs a file name");
            string? directory = Path.GetDirectoryName(Path.GetFullPath(json));
            if (directory is null || !Directory.Exists(directory)) throw new UsageException($"--json: directory of '{json}' does not exist");
            if (Directory.Exists(json)) throw new UsageException($"--json: '{json}' is a directory");
        }
        string? until = result.GetValue(options.Until);
        if (until is { Length: 0 }) throw new UsageException("--until needs a non-empty marker");
        string? trace = result.GetValue(options.Trace);
        return new RunSettings
        {
            Vm = result.GetValue(options.Vm),
            Stats = result.GetValue(options.Stats),
            JsonPath = json,
            Trace = trace is null ? KvmTraceEvents.None : KvmTraceEventList.Parse(trace),
            Until = until,
            DumpCpuReset = ParseDebugItems(result.GetValue(options.DebugItems)),
        };
    }

    /// <summary>QEMU's -d item list; JitVirt knows cpu_reset.</summary>
    private static bool ParseDebugItems(string? items)
    {
        if (items is null) return false;
        bool cpuReset = false;
        foreach (string item in items.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (item == "cpu_reset") cpuReset = true;
            else throw new UsageException($"-d: unsupported log item '{item}' (supported: cpu_reset)");
        }
        if (!cpuReset) throw new UsageException("-d needs a log item (supported: cpu_reset)");
        return true;
    }
}
