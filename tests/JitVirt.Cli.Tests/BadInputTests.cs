using static JitVirt.Cli.Tests.CliHarness;

namespace JitVirt.Cli.Tests;

/// <summary>Every class of bad input: one line on stderr naming the problem, a --help hint, exit status 2, no stack trace.</summary>
public class BadInputTests
{
    public static TheoryData<string[], string> Cases => new()
    {
        { ["run", "-frobnicate"], "-frobnicate" },
        { ["run", "-kernel", "/nonexistent/kernel.elf"], "/nonexistent/kernel.elf" },
        { ["run", "-m", "lots"], "lots" },
        { ["run", "-device", "virtio-blk"], "virtio-blk" },
        { ["run", "-serial", "tcp:1234"], "tcp:1234" },
        { ["run", "-serial", "file:/nonexistent-dir/console.log"], "/nonexistent-dir/console.log" },
        { ["run", "--timeout", "-3"], "--timeout" },
        { ["run", "--timeout", "soon"], "soon" },
        { ["run", "--vm", "kvm"], "kvm" },
        { ["run", "--trace", "kvm_mmio"], "kvm_mmio" },
        { ["run", "-d", "in_asm"], "in_asm" },
        { ["run", "--json", "/nonexistent-dir/run.json"], "/nonexistent-dir/run.json" },
        { ["run", "--until", ""], "--until" },
        { ["run", "--until", "x", "-serial", "none"], "--until" },
        { ["run", "-initrd", "/tmp/initrd"], "-initrd" },
        { ["compare", "--vm", "svm"], "--vm" },
        { ["frobnicate"], "frobnicate" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void OneLineStatusTwoNoStackTrace(string[] args, string mentions)
    {
        var r = Run(FakeFrontEnd.Catalog(), args);
        Assert.True(r.Status == CliExitCodes.Usage, r.ToString());
        string line = Assert.Single(r.StderrLines);
        Assert.Contains(mentions, line);
        Assert.Contains("--help", line);
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void CorruptElfKernelIsOneLineWithTheHint()
    {
        using var kernel = new TempFile(Path.Combine(Path.GetTempPath(), $"jitvirt-corrupt-{Guid.NewGuid():N}.elf"));
        File.WriteAllBytes(kernel.Path, [0x7F, (byte)'E', (byte)'L', (byte)'F', 1, 1, 1, 0]);
        var r = Run("run", "-kernel", kernel.Path, "--timeout", "5");
        Assert.Equal(CliExitCodes.Usage, r.Status);
        string line = Assert.Single(r.StderrLines);
        Assert.Contains(kernel.Path, line);
        Assert.Contains("--help", line);
    }

    [Fact]
    public void RunnerStatusesAreEvenAndDistinct()
    {
        int[] statuses = [CliExitCodes.Usage, CliExitCodes.HostError, CliExitCodes.Halted, CliExitCodes.TripleFault, CliExitCodes.CompareMismatch, CliExitCodes.Timeout, CliExitCodes.Cancelled];
        Assert.All(statuses, s => Assert.Equal(0, s & 1)); // never a (v << 1) | 1 debug-exit status
        Assert.Equal(statuses.Length, statuses.Distinct().Count());
    }
}
