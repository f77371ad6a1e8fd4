using System.Text.Json;
using static JitVirt.Cli.Tests.CliHarness;

namespace JitVirt.Cli.Tests;

/// <summary>--tier and --jit-threshold: under a front end the IL tier runs the guest unless told otherwise.</summary>
public class TierTests
{
    private const string DebugExitDevice = "isa-debug-exit,iobase=0xf4,iosize=0x4";

    private static (Result Run, JsonElement Root) RunWithJson(params string[] extra)
    {
        using var kernel = new TempFile(Guests.PrintThenExit("Hi", 0));
        using var json = new TempFile(Path.Combine(Path.GetTempPath(), $"jitvirt-cli-{Guid.NewGuid():N}.json"));
        var r = Run((string[])["run", "-kernel", kernel.Path, "-device", DebugExitDevice, "--deterministic", "--timeout", "30", "--json", json.Path, .. extra]);
        using var doc = JsonDocument.Parse(File.ReadAllText(json.Path));
        return (r, doc.RootElement.Clone());
    }

    private static long? Counter(JsonElement root, string key) =>
        root.GetProperty("counters").EnumerateArray().Where(c => c.GetProperty("key").GetString() == key)
            .Select(c => (long?)c.GetProperty("value").GetInt64()).FirstOrDefault();

    [Theory]
    [InlineData("svm")]
    [InlineData("vmx")]
    public void TheIlTierIsTheDefaultUnderAFrontEnd(string vm)
    {
        var (r, root) = RunWithJson("--vm", vm, "--jit-threshold", "0");
        Assert.True(r.Status == 1, r.ToString());
        Assert.Equal("Hi", r.Stdout);
        Assert.Equal("il", root.GetProperty("configuration").GetProperty("tier").GetString());
        Assert.True(Counter(root, "regionsCompiled") > 0, "threshold 0 compiles every block it runs");
    }

    [Fact]
    public void TierInterpreterCompilesNothing()
    {
        var (r, root) = RunWithJson("--vm", "svm", "--tier", "interpreter");
        Assert.True(r.Status == 1, r.ToString());
        Assert.Equal("Hi", r.Stdout);
        Assert.Equal("interpreter", root.GetProperty("configuration").GetProperty("tier").GetString());
        Assert.Null(Counter(root, "regionsCompiled"));
        Assert.True(Counter(root, "blocksDecoded") > 0);
    }

    [Theory]
    [InlineData("--tier", "fast")]
    [InlineData("--jit-threshold", "-1")]
    public void BadTierOptionsAreUsageErrors(string option, string value)
    {
        var r = Run("run", option, value);
        Assert.Equal(2, r.Status);
        Assert.Single(r.StderrLines, l => l.StartsWith("jitvirt:", StringComparison.Ordinal));
        Assert.DoesNotContain("   at ", r.Stderr);
    }
}
