using System.Globalization;
using JitVirt.Cli.Bench;

namespace JitVirt.Gate.Tests;

/// <summary>
/// <c>jitvirt bench compare</c> on two small hand-written BenchmarkDotNet full JSON exports (the layout of
/// JsonExporter.Full: Benchmarks[].FullName and Statistics with Mean, StandardError and ConfidenceInterval).
/// </summary>
public class BenchCompareTests
{
    /// <summary>One benchmark entry; the 99.9% interval is mean ± margin.</summary>
    static string Entry(string method, double mean, double margin) => string.Create(CultureInfo.InvariantCulture, $$"""
        {
          "DisplayInfo": "Bench.{{method}}: DefaultJob",
          "Namespace": "JitVirt.Bench",
          "Type": "Synthetic",
          "Method": "{{method}}",
          "MethodTitle": "{{method}}",
          "Parameters": "",
          "FullName": "JitVirt.Bench.Synthetic.{{method}}",
          "Statistics": {
            "N": 15, "Min": {{mean - margin}}, "Median": {{mean}}, "Mean": {{mean}}, "Max": {{mean + margin}},
            "StandardError": {{margin / 3.4}}, "StandardDeviation": {{margin / 0.9}},
            "ConfidenceInterval": { "N": 15, "Mean": {{mean}}, "StandardError": {{margin / 3.4}}, "Level": 12, "Margin": {{margin}}, "Lower": {{mean - margin}}, "Upper": {{mean + margin}} }
          }
        }
        """);

    static string Export(params string[] entries) =>
        "{\n\"Title\": \"JitVirt.Bench.Synthetic-20261127-120000\",\n\"HostEnvironmentInfo\": { \"BenchmarkDotNetVersion\": \"0.15.8\" },\n\"Benchmarks\": [\n" + string.Join(",\n", entries) + "\n]\n}\n";

    static CliRunner.Result Compare(string a, string b, params string[] options)
    {
        string pa = CliRunner.TempPath(".json"), pb = CliRunner.TempPath(".json");
        try
        {
            File.WriteAllText(pa, a);
            File.WriteAllText(pb, b);
            return CliRunner.Run(["bench", "compare", pa, pb, .. options]);
        }
        finally
        {
            File.Delete(pa);
            File.Delete(pb);
        }
    }

    [Fact]
    public void A_slower_benchmark_is_a_regression_and_noise_is_not()
    {
        string before = Export(Entry("Decode", 100, 1), Entry("Exit", 500, 5), Entry("Tiny", 2.0, 0.01), Entry("Wobbly", 40, 8), Entry("Gone", 10, 0.1));
        string after = Export(Entry("Decode", 130, 1), Entry("Exit", 400, 5), Entry("Tiny", 2.4, 0.01), Entry("Wobbly", 46, 8), Entry("Steady", 7, 0.1));
        var r = Compare(before, after, "--threshold", "5%", "--noise-ns", "1");

        Assert.Equal(BenchExitCodes.Regression, r.Status);
        string[] lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("slower   1.300x JitVirt.Bench.Synthetic.Decode: 100.000 ns -> 130.000 ns", lines);
        Assert.Contains("faster   0.800x JitVirt.Bench.Synthetic.Exit: 500.000 ns -> 400.000 ns", lines);
        // +20% but 0.4 ns: under the 1 ns noise floor.
        Assert.Contains("noise    1.200x JitVirt.Bench.Synthetic.Tiny: 2.000 ns -> 2.400 ns", lines);
        // +15% but the intervals [32, 48] and [38, 54] overlap.
        Assert.Contains("noise    1.150x JitVirt.Bench.Synthetic.Wobbly: 40.000 ns -> 46.000 ns", lines);
        Assert.Contains("removed  JitVirt.Bench.Synthetic.Gone: 10.000 ns -> -", lines);
        Assert.Contains("new      JitVirt.Bench.Synthetic.Steady: - -> 7.000 ns", lines);
        Assert.Equal("6 benchmarks: 1 slower, 1 faster, 2 within noise, 0 unchanged (threshold 5%, noise floor 1 ns)", lines[^1]);
        Assert.Contains("1 benchmark(s) slower", r.Stderr);
    }

    [Fact]
    public void Changes_inside_the_threshold_pass()
    {
        var r = Compare(Export(Entry("Decode", 100, 0.1)), Export(Entry("Decode", 104, 0.1)), "--threshold", "5%");
        Assert.Equal(0, r.Status);
        Assert.Equal("1 benchmarks: 0 slower, 0 faster, 0 within noise, 1 unchanged (threshold 5%, noise floor 0 ns)\n", r.Stdout);
    }

    [Fact]
    public void A_higher_threshold_lets_the_same_slowdown_through()
    {
        var r = Compare(Export(Entry("Decode", 100, 0.1)), Export(Entry("Decode", 130, 0.1)), "--threshold", "40%");
        Assert.Equal(0, r.Status);
    }

    [Fact]
    public void A_json_file_without_statistics_is_refused_with_a_usage_error()
    {
        string other = "{\"Title\":\"x\",\"Benchmarks\":[{\"FullName\":\"A.B\",\"Method\":\"B\"}]}";
        var r = Compare(other, other);
        Assert.Equal(2, r.Status);
        Assert.Contains("is not a BenchmarkDotNet JSON export: benchmark 'A.B' has no Statistics", r.Stderr);
    }
}
