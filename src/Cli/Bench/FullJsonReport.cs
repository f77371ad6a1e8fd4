using System.Text.Json;

namespace JitVirt.Cli.Bench;

/// <summary>One benchmark of a BenchmarkDotNet full JSON export: its full name and the statistics of its time per operation (ns).</summary>
public sealed record BenchmarkTiming(string FullName, double MeanNs, double StandardErrorNs, double? LowerNs, double? UpperNs);

/// <summary>
/// Reads a BenchmarkDotNet JSON export: the "Benchmarks" array, each with "FullName" and "Statistics"
/// (Mean, StandardError, ConfidenceInterval Lower/Upper, all in nanoseconds per operation). JitVirt.Bench
/// writes the full export ("*-report-full.json", JsonExporter.Full); the other JSON exporters differ only
/// in indentation and in leaving out the per-iteration "Measurements", which are not read here, so they
/// are read as well. Benchmarks that failed have null statistics and are left out.
/// </summary>
public static class FullJsonReport
{
    public static IReadOnlyList<BenchmarkTiming> Read(string path)
    {
        if (!File.Exists(path)) throw new UsageException($"bench compare: '{path}' not found");
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            return Parse(document.RootElement, path);
        }
        catch (JsonException e)
        {
            throw new UsageException($"bench compare: '{path}' is not JSON ({e.Message})");
        }
    }

    static List<BenchmarkTiming> Parse(JsonElement root, string path)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("Benchmarks", out var benchmarks) || benchmarks.ValueKind != JsonValueKind.Array)
            throw new UsageException($"bench compare: '{path}' has no \"Benchmarks\" array (is it a BenchmarkDotNet full JSON export?)");
        var timings = new List<BenchmarkTiming>();
        foreach (var b in benchmarks.EnumerateArray())
        {
            if (!b.TryGetProperty("FullName", out var name) || name.ValueKind != JsonValueKind.String) continue;
            if (!b.TryGetProperty("Statistics", out var s) || s.ValueKind != JsonValueKind.Object)
            {
                if (b.TryGetProperty("Statistics", out _)) continue; // null: the benchmark failed
                throw new UsageException($"bench compare: '{path}' is not a BenchmarkDotNet JSON export: benchmark '{name.GetString()}' has no Statistics");
            }
            double? lower = null, upper = null;
            if (s.TryGetProperty("ConfidenceInterval", out var ci) && ci.ValueKind == JsonValueKind.Object)
            {
                lower = Number(ci, "Lower");
                upper = Number(ci, "Upper");
            }
            timings.Add(new BenchmarkTiming(name.GetString()!, Number(s, "Mean") ?? double.NaN, Number(s, "StandardError") ?? 0, lower, upper));
        }
        return timings;
    }

    static double? Number(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
}
