using JitVirt.Cli.Gate;

namespace JitVirt.Gate.Tests;

/// <summary>The committed baseline (bench/baselines/gate.json) covers the gate as it is: every quick guest under every front end, at the gate's threshold.</summary>
public class CommittedBaselineTests
{
    static string RepositoryFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "JitVirt.sln"))) return Path.Combine(dir.FullName, relative);
        throw new InvalidOperationException("repository root (JitVirt.sln) not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void Committed_baseline_has_every_quick_guest_under_every_front_end()
    {
        string path = RepositoryFile(Path.Combine("bench", "baselines", "gate.json"));
        string json = File.ReadAllText(path);
        var baseline = GateBaseline.Parse(json);
        var settings = new GateSettings();

        Assert.Equal(settings.CompileThreshold, baseline.CompileThreshold);
        foreach (var guest in GateGuestSet.Quick())
            foreach (string fe in settings.FrontEnds)
            {
                var run = baseline.Find(guest.Name, fe);
                Assert.True(run is not null, $"{guest.Name}/{fe} missing from {path}");
                Assert.Equal("DebugExit", run.Outcome);
                Assert.True(run.Exact["guestInstructionsRetired"] > 0);
            }
        // Written by --update: reading and writing it again changes nothing, so review diffs stay minimal.
        Assert.Equal(json, baseline.ToJson());
    }
}
