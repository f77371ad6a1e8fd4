using System.Text;
using System.Text.Json;

namespace JitVirt.Cli.Gate;

/// <summary>
/// The committed baseline (bench/baselines/gate.json): one measurement per guest and front end, in a
/// stable order (guest, then front end, ordinal) with sorted counter maps and "\n" line ends, so an
/// <c>--update</c> shows in review as a diff of exactly the figures that moved.
/// </summary>
public sealed record GateBaseline
{
    public const int CurrentFormat = 1;

    public int Format { get; init; } = CurrentFormat;
    /// <summary>The IL tier's compile threshold the figures were taken with (JIT-internal counters depend on it).</summary>
    public long CompileThreshold { get; init; }
    public IReadOnlyList<GateMeasurement> Runs { get; init; } = [];

    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        NewLine = "\n",
    };

    public GateMeasurement? Find(string guest, string frontEnd) =>
        Runs.FirstOrDefault(r => r.Guest == guest && r.FrontEnd == frontEnd);

    /// <summary>This baseline with <paramref name="measured"/> replacing the runs of the same guest and front end; runs not measured this time are kept.</summary>
    public GateBaseline With(IEnumerable<GateMeasurement> measured, long compileThreshold)
    {
        var runs = measured.ToList();
        runs.AddRange(Runs.Where(old => !runs.Any(m => m.Guest == old.Guest && m.FrontEnd == old.FrontEnd)));
        return new GateBaseline
        {
            CompileThreshold = compileThreshold,
            Runs = [.. runs.OrderBy(r => r.Guest, StringComparer.Ordinal).ThenBy(r => r.FrontEnd, StringComparer.Ordinal)],
        };
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json) + "\n";

    public static GateBaseline Parse(string json)
    {
        var baseline = JsonSerializer.Deserialize<GateBaseline>(json, Json) ?? throw new JsonException("the baseline is empty");
        if (baseline.Format != CurrentFormat) throw new JsonException($"baseline format {baseline.Format}, this jitvirt reads format {CurrentFormat}");
        return baseline;
    }

    /// <summary>Reads <paramref name="path"/>; a missing file is an empty baseline (the first --update writes it).</summary>
    public static GateBaseline Load(string path) => File.Exists(path) ? Parse(File.ReadAllText(path, Encoding.UTF8)) : new GateBaseline();

    /// <summary>Writes through a temporary file in the same folder, so a failed write leaves the old baseline.</summary>
    public void Save(string path)
    {
        string full = Path.GetFullPath(path);
        string temporary = full + ".tmp";
        File.WriteAllText(temporary, ToJson(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        File.Move(temporary, full, overwrite: true);
    }
}
