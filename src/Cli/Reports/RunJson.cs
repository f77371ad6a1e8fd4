using System.Text.Json;
using JitVirt.Cli.Profiling;
using JitVirt.Virtualization;

namespace JitVirt.Cli.Reports;

/// <summary>
/// The <c>--json FILE</c> document: one object per run with the configuration, the outcome, wall and CPU
/// time, the exit table (perf kvm stat's figures, in nanoseconds), every counter of <c>--stats</c> and the time split.
/// Written to a temporary file in the same directory and renamed over FILE, so a reader never sees half a document.
/// </summary>
public static class RunJson
{
    public const int SchemaVersion = 2; // 2: timeSplit

    public static void WriteAtomically(string path, RunRecord record)
    {
        string full = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                Write(stream, record);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    public static void Write(Stream stream, RunRecord record)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteNumber("schemaVersion", SchemaVersion);
        WriteConfiguration(w, record.Configuration);
        WriteOutcome(w, record.End);
        w.WriteStartObject("time");
        w.WriteNumber("wallSeconds", record.WallSeconds);
        w.WriteNumber("cpuSeconds", record.CpuSeconds);
        w.WriteEndObject();
        WriteExits(w, record.Configuration.FrontEnd, record.Exits);
        w.WriteStartArray("counters");
        foreach (var c in record.Counters)
        {
            w.WriteStartObject();
            w.WriteString("key", c.Key);
            w.WriteString("label", c.Label);
            w.WriteNumber("value", c.Value);
            if (c.Unit.Length != 0) w.WriteString("unit", c.Unit);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (record.TimeSplit is { } split) WriteTimeSplit(w, split);
        w.WriteEndObject();
    }

    /// <summary>"timeSplit": the sampled wall time, one object per activity (samples, seconds, percent, instructions), the compile time, the hottest pages.</summary>
    private static void WriteTimeSplit(Utf8JsonWriter w, TimeSplit split)
    {
        w.WriteStartObject("timeSplit");
        w.WriteNumber("sampledSeconds", split.SampledSeconds);
        w.WriteNumber("samples", split.Samples);
        w.WriteNumber("intervalMs", ActivitySampler.IntervalMilliseconds);
        w.WriteStartObject("activities");
        foreach (var a in split.Activities)
        {
            w.WriteStartObject(a.Key);
            w.WriteNumber("samples", a.Samples);
            w.WriteNumber("seconds", a.Seconds);
            w.WriteNumber("percent", a.Percent);
            w.WriteNumber("instructions", a.Instructions);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        if (split.CompileSeconds is { } compile) w.WriteNumber("compileSeconds", compile); else w.WriteNull("compileSeconds");
        WriteOptional(w, "compileThread", split.CompileThread);
        w.WriteStartArray("hotPages");
        foreach (var p in split.HotPages)
        {
            w.WriteStartObject();
            w.WriteString("page", $"0x{p.Page:x}");
            w.WriteString("mode", p.Mode.ToString());
            w.WriteNumber("samples", p.Total);
            w.WriteNumber("instructions", p.Instructions);
            foreach (var a in split.Activities)
                if (p.Samples[(int)a.Activity] != 0) w.WriteNumber(a.Key, p.Samples[(int)a.Activity]);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteConfiguration(Utf8JsonWriter w, RunConfiguration c)
    {
        w.WriteStartObject("configuration");
        w.WriteStartArray("arguments");
        foreach (string a in c.Arguments) w.WriteStringValue(a);
        w.WriteEndArray();
        WriteOptional(w, "vm", c.Vm);
        WriteOptional(w, "frontEnd", c.FrontEnd);
        w.WriteBoolean("demo", c.Demo);
        WriteOptional(w, "kernel", c.Kernel);
        WriteOptional(w, "initrd", c.Initrd);
        WriteOptional(w, "bios", c.Bios);
        WriteOptional(w, "append", c.Append);
        w.WriteNumber("memoryBytes", c.MemoryBytes);
        w.WriteStartArray("devices");
        foreach (string d in c.Devices) w.WriteStringValue(d);
        w.WriteEndArray();
        w.WriteBoolean("deterministic", c.Deterministic);
        w.WriteBoolean("noReboot", c.NoReboot);
        if (c.TimeoutSeconds is { } t) w.WriteNumber("timeoutSeconds", t); else w.WriteNull("timeoutSeconds");
        WriteOptional(w, "until", c.Until);
        w.WriteNumber("vcpus", c.Vcpus);
        WriteOptional(w, "logItems", c.LogItems);
        w.WriteString("tier", c.Tier);
        w.WriteEndObject();
    }

    private static void WriteOutcome(Utf8JsonWriter w, RunEnd e)
    {
        w.WriteStartObject("outcome");
        w.WriteString("kind", e.Kind);
        w.WriteNumber("exitStatus", e.ExitStatus);
        if (e.GuestExitCode is { } g) w.WriteNumber("guestExitCode", g); else w.WriteNull("guestExitCode");
        w.WriteBoolean("markerSeen", e.MarkerSeen);
        w.WriteBoolean("shutdown", e.Shutdown);
        w.WriteBoolean("timeout", e.Timeout);
        WriteOptional(w, "message", e.Message);
        w.WriteEndObject();
    }

    private static void WriteExits(Utf8JsonWriter w, string? frontEnd, IReadOnlyList<ExitRecord> exits)
    {
        w.WriteStartObject("exits");
        WriteOptional(w, "frontEnd", frontEnd);
        w.WriteNumber("totalSamples", exits.Sum(e => e.Count));
        w.WriteNumber("totalNs", exits.Sum(e => e.TotalNs));
        w.WriteStartArray("rows");
        foreach (var e in exits.OrderByDescending(e => e.Count).ThenBy(e => e.Index))
        {
            w.WriteStartObject();
            w.WriteString("name", e.Name);
            w.WriteString("category", e.Category.ToString());
            w.WriteNumber("code", e.Index);
            w.WriteNumber("samples", e.Count);
            w.WriteNumber("timedSamples", e.TimedCount);
            w.WriteNumber("totalNs", e.TotalNs);
            w.WriteNumber("minNs", e.MinOrZeroNs);
            w.WriteNumber("maxNs", e.MaxNs);
            w.WriteNumber("avgNs", e.AverageNs);
            w.WriteNumber("relStdDevPercent", e.RelativeStdDevPercent);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null) w.WriteNull(name); else w.WriteString(name, value);
    }
}
