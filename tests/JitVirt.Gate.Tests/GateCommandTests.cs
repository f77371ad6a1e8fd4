using System.Text.RegularExpressions;
using JitVirt.Cli.Bench;

namespace JitVirt.Gate.Tests;

/// <summary><c>jitvirt bench gate</c> end to end: --update writes a baseline, a rerun passes it, an edited figure fails it by name.</summary>
public class GateCommandTests
{
    [Fact]
    public void Update_then_check_passes_and_an_edited_baseline_fails_naming_counter_and_values()
    {
        string path = CliRunner.TempPath(".json");
        try
        {
            var update = CliRunner.Run("bench", "gate", "--baseline", path, "--update", "--guest", "exits");
            Assert.True(update.Status == 0, update.ToString());
            Assert.Contains("exits     svm  DebugExit", update.Stdout);
            string json = File.ReadAllText(path);

            var check = CliRunner.Run("bench", "gate", "--baseline", path, "--guest", "exits");
            Assert.True(check.Status == 0, check.ToString());
            Assert.Contains("jitvirt: gate: passed (2 runs match", check.Stderr);

            // 2000 CPUID exits recorded under SVM; pretend the baseline had one more.
            File.WriteAllText(path, json.Replace("\"exit:cpuid\": 2000", "\"exit:cpuid\": 2001"));
            var fail = CliRunner.Run("bench", "gate", "--baseline", path, "--guest", "exits");
            Assert.Equal(BenchExitCodes.Regression, fail.Status);
            Assert.Contains("jitvirt: gate: FAIL exits/svm: exit:cpuid: baseline 2001, now 2000 (-1, exact)", fail.Stderr);
            Assert.Matches(new Regex("jitvirt: gate: 1 regression against "), fail.Stderr);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_guest_without_a_baseline_entry_fails()
    {
        string path = CliRunner.TempPath(".json");
        try
        {
            File.WriteAllText(path, "{\"format\": 1, \"compileThreshold\": 2, \"runs\": []}");
            var r = CliRunner.Run("bench", "gate", "--baseline", path, "--guest", "exits");
            Assert.Equal(BenchExitCodes.Regression, r.Status);
            Assert.Contains("FAIL exits/svm: run: baseline absent, now measured (no baseline: record it with --update)", r.Stderr);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void An_unknown_guest_is_a_usage_error()
    {
        var r = CliRunner.Run("bench", "gate", "--baseline", "x.json", "--guest", "nosuch");
        Assert.Equal(2, r.Status);
        Assert.Contains("unknown guest 'nosuch'", r.Stderr);
    }
}
