using System.Text.Json.Serialization;

namespace JitVirt.Cli.Gate;

/// <summary>
/// What one gate run produced, as the baseline stores it: how the run ended, a digest of the guest
/// console, the guest-visible counters (compared exactly) and the JIT-internal ones (compared within
/// <see cref="GateComparison.Tolerance"/>). Counter maps are sorted by key so the baseline diffs well.
/// </summary>
public sealed record GateMeasurement
{
    public required string Guest { get; init; }
    public required string FrontEnd { get; init; }
    /// <summary>The run's end as <c>jitvirt run --json</c> names it (DebugExit, Reset, Shutdown, Timeout, ...).</summary>
    public required string Outcome { get; init; }
    public int ExitStatus { get; init; }
    public long ConsoleBytes { get; init; }
    /// <summary>SHA-256 of the guest console bytes (COM1 and the E9 console), lowercase hex.</summary>
    public required string ConsoleSha256 { get; init; }
    public SortedDictionary<string, long> Exact { get; init; } = new(StringComparer.Ordinal);
    public SortedDictionary<string, long> Tolerant { get; init; } = new(StringComparer.Ordinal);

    /// <summary>"guest/front end": how reports name the run.</summary>
    [JsonIgnore] public string Run => $"{Guest}/{FrontEnd}";

    /// <summary>Not compared and not stored: wall time is the benchmarks' business.</summary>
    [JsonIgnore] public double WallSeconds { get; init; }

    /// <summary>The console itself, for the determinism test and for a failure report; not stored.</summary>
    [JsonIgnore] public byte[] Console { get; init; } = [];
}
