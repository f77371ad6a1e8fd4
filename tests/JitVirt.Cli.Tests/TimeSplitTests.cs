using System.Globalization;
using System.Text.Json;
using Iced.Intel;
using JitVirt.Machine.Guests;
using static Iced.Intel.AssemblerRegisters;
using static JitVirt.Cli.Tests.CliHarness;

namespace JitVirt.Cli.Tests;

/// <summary>
/// The time split of --json/--stats (timeSplit): where the vCPU thread's wall time went, sampled. Only structural
/// facts are checked (shares add up, an activity that cannot happen has no samples, one that dominates has some),
/// never timings: the guests run endless loops until --timeout stops them.
/// </summary>
public class TimeSplitTests
{
    private static readonly string[] Activities = ["machine", "dispatch", "interpreter", "compiledCode", "exitHandling", "idle"];

    /// <summary>An endless integer loop in 64-bit mode (no exits once it runs).</summary>
    private static byte[] ComputeForever() => LongModeGuestImage.Build("compute", a =>
    {
        var top = a.CreateLabel();
        ComputeKernels.IntegerSetup(a);
        a.Label(ref top);
        ComputeKernels.IntegerStep(a);
        a.jmp(top);
    });

    /// <summary>An endless OUT to port 80h in 64-bit mode: every front end intercepts port I/O (IOPM/I/O bitmaps all ones), so each OUT is an exit.</summary>
    private static byte[] PortIoForever() => LongModeGuestImage.Build("io", a =>
    {
        var top = a.CreateLabel();
        a.Label(ref top);
        a.@out(0x80, al);
        a.jmp(top);
    });

    private static (Result Run, JsonElement Split, string Stderr, long Retired) RunFor(byte[] image, params string[] extra)
    {
        using var kernel = new TempFile(WriteTemp(image));
        using var json = new TempFile(Path.Combine(Path.GetTempPath(), $"jitvirt-cli-{Guid.NewGuid():N}.json"));
        var r = Run((string[])["run", "-kernel", kernel.Path, "--timeout", "1", "--stats", "--json", json.Path, .. extra]);
        Assert.True(r.Status == CliExitCodes.Timeout, r.ToString());
        using var doc = JsonDocument.Parse(File.ReadAllText(json.Path));
        long retired = doc.RootElement.GetProperty("counters").EnumerateArray()
            .Single(c => c.GetProperty("key").GetString() == "guestInstructionsRetired").GetProperty("value").GetInt64();
        return (r, doc.RootElement.GetProperty("timeSplit").Clone(), r.Stderr, retired);
    }

    private static long Samples(JsonElement split, string activity) => split.GetProperty("activities").GetProperty(activity).GetProperty("samples").GetInt64();

    [Theory]
    [InlineData("svm")]
    [InlineData("vmx")]
    [InlineData("none")]
    public void TheSharesAddUpToTheSampledTime(string vm)
    {
        var (_, split, _, retired) = RunFor(ComputeForever(), "--vm", vm, "--jit-threshold", "0");
        var activities = split.GetProperty("activities");
        Assert.Equal(Activities, activities.EnumerateObject().Select(p => p.Name));
        long samples = split.GetProperty("samples").GetInt64();
        Assert.True(samples > 0);
        Assert.Equal(samples, Activities.Sum(a => Samples(split, a)));
        double percent = Activities.Sum(a => activities.GetProperty(a).GetProperty("percent").GetDouble());
        Assert.InRange(percent, 100 - 1e-6, 100 + 1e-6);
        double seconds = Activities.Sum(a => activities.GetProperty(a).GetProperty("seconds").GetDouble());
        double sampled = split.GetProperty("sampledSeconds").GetDouble();
        Assert.InRange(seconds, sampled * (1 - 1e-9), sampled * (1 + 1e-9));
        // The instructions charged to the activities are the ones retired while the sampler ran: some, and no more than the run retired.
        long charged = Activities.Sum(a => activities.GetProperty(a).GetProperty("instructions").GetInt64());
        Assert.InRange(charged, 1, retired);
        foreach (string a in Activities)
        {
            // Each share is its samples over all samples, recomputed here from the counts.
            double expected = 100.0 * Samples(split, a) / samples;
            Assert.InRange(activities.GetProperty(a).GetProperty("percent").GetDouble(), expected - 1e-9, expected + 1e-9);
        }
    }

    [Fact]
    public void TheInterpreterTierRunsNoCompiledCodeAndNoDispatcher()
    {
        var (_, split, _, _) = RunFor(ComputeForever(), "--vm", "svm", "--tier", "interpreter");
        Assert.Equal(0, Samples(split, "compiledCode"));
        Assert.Equal(0, Samples(split, "dispatch"));
        Assert.True(Samples(split, "interpreter") > 0);
        Assert.Equal(JsonValueKind.Null, split.GetProperty("compileSeconds").ValueKind);
    }

    [Theory]
    [InlineData("svm")]
    [InlineData("vmx")]
    public void AComputeLoopAtThresholdZeroRunsCompiledCode(string vm)
    {
        var (_, split, _, _) = RunFor(ComputeForever(), "--vm", vm, "--jit-threshold", "0");
        Assert.True(Samples(split, "compiledCode") > 0, split.ToString());
        Assert.True(split.GetProperty("compileSeconds").GetDouble() > 0);
        Assert.Equal("background", split.GetProperty("compileThread").GetString());
        // The loop lives in the image's 64-bit part, which LongModeGuestImage places at 0xB000 (identity-mapped).
        var hottest = split.GetProperty("hotPages")[0];
        Assert.Equal($"0x{LongModeGuestImage.LongModeCode:x}", hottest.GetProperty("page").GetString());
        Assert.Equal("Bits64", hottest.GetProperty("mode").GetString());
    }

    [Theory]
    [InlineData("svm")]
    [InlineData("vmx")]
    public void APortIoLoopUnderAFrontEndSpendsTimeInExits(string vm)
    {
        var (_, split, _, _) = RunFor(PortIoForever(), "--vm", vm);
        Assert.True(Samples(split, "exitHandling") > 0, split.ToString());
    }

    [Fact]
    public void WithoutAFrontEndThereAreNoExits()
    {
        var (_, split, _, _) = RunFor(PortIoForever(), "--vm", "none");
        Assert.Equal(0, Samples(split, "exitHandling"));
        Assert.Equal(0, Samples(split, "compiledCode"));
    }

    [Fact]
    public void StatsPrintsTheSameSplitAsTheJson()
    {
        var (_, split, stderr, _) = RunFor(ComputeForever(), "--vm", "svm", "--jit-threshold", "0");
        string[] lines = stderr.Split('\n');
        int heading = Array.IndexOf(lines, "JitVirt time split (vCPU thread, sampled):");
        Assert.True(heading >= 0, stderr);
        // One line per activity, in the JSON's order: "  label  seconds s  percent %".
        var activities = split.GetProperty("activities").EnumerateObject().ToList();
        for (int k = 0; k < activities.Count; k++)
        {
            var m = System.Text.RegularExpressions.Regex.Match(lines[heading + 1 + k], @"^  \S.*? +(\d+\.\d{3}) s +(\d+\.\d) % +(\d+) insns$");
            Assert.True(m.Success, lines[heading + 1 + k]);
            double seconds = activities[k].Value.GetProperty("seconds").GetDouble();
            double percent = activities[k].Value.GetProperty("percent").GetDouble();
            Assert.InRange(double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), seconds - 0.0005 - 1e-9, seconds + 0.0005 + 1e-9);
            Assert.InRange(double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), percent - 0.05 - 1e-9, percent + 0.05 + 1e-9);
            Assert.Equal(activities[k].Value.GetProperty("instructions").GetInt64(), long.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture));
        }
    }
}
