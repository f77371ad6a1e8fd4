using JitVirt.Cli.Gate;

namespace JitVirt.Gate.Tests;

/// <summary>The baseline file: a stable, sorted layout that round-trips, and --update keeps runs it did not redo.</summary>
public class GateBaselineTests
{
    static GateMeasurement Run(string guest, string fe, long retired) => new()
    {
        Guest = guest, FrontEnd = fe, Outcome = "DebugExit", ExitStatus = 1, ConsoleBytes = 3, ConsoleSha256 = "ab",
        Exact = new(StringComparer.Ordinal) { ["guestInstructionsRetired"] = retired, ["exit:io"] = 2 },
        Tolerant = new(StringComparer.Ordinal) { ["regionsCompiled"] = 7 },
    };

    [Fact]
    public void Runs_are_written_sorted_by_guest_then_front_end_and_read_back_equal()
    {
        var baseline = new GateBaseline().With([Run("z", "vmx", 1), Run("a", "vmx", 2), Run("a", "svm", 3)], 2);
        string json = baseline.ToJson();
        Assert.Equal(["a/svm", "a/vmx", "z/vmx"], baseline.Runs.Select(r => r.Run));
        Assert.DoesNotContain("\r", json);
        Assert.True(json.IndexOf("\"exit:io\"", StringComparison.Ordinal) < json.IndexOf("\"guestInstructionsRetired\"", StringComparison.Ordinal), "counter maps are sorted");

        var back = GateBaseline.Parse(json);
        Assert.Equal(json, back.ToJson());
        Assert.Equal(3, back.Find("a", "svm")!.Exact["guestInstructionsRetired"]);
    }

    [Fact]
    public void Update_replaces_the_runs_it_measured_and_keeps_the_others()
    {
        var old = new GateBaseline().With([Run("linux", "svm", 6_000_000_000), Run("demo", "svm", 10)], 2);
        var updated = old.With([Run("demo", "svm", 11)], 2);
        Assert.Equal(11, updated.Find("demo", "svm")!.Exact["guestInstructionsRetired"]);
        Assert.Equal(6_000_000_000, updated.Find("linux", "svm")!.Exact["guestInstructionsRetired"]);
    }

    [Fact]
    public void A_baseline_of_another_format_is_refused()
    {
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => GateBaseline.Parse("{\"format\": 99, \"runs\": []}"));
    }
}
