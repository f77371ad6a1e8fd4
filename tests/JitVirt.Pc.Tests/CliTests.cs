using System.Text;
using JitVirt.Cli;

namespace JitVirt.Pc.Tests;

/// <summary>The jitvirt command line, run in-process with captured stdout/stderr.</summary>
public class CliTests
{
    private static (int Status, string Stdout, string Stderr) Run(params string[] args)
    {
        using var stdout = new MemoryStream();
        using var stderr = new StringWriter();
        int status = JitVirtCli.Run(args, stdout, stderr);
        return (status, Encoding.UTF8.GetString(stdout.ToArray()), stderr.ToString());
    }

    private static void AssertOneLineUsageError((int Status, string Stdout, string Stderr) r, string mentions)
    {
        Assert.Equal(CliExitCodes.Usage, r.Status);
        string[] lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Contains(mentions, lines[0]);
        Assert.Contains("--help", lines[0]);
        Assert.DoesNotContain("   at ", r.Stderr); // no stack trace
    }

    [Fact]
    public void NoArgumentsBootsTheDemoGuestWhichExitsWithStatusOne()
    {
        var r = Run("--timeout", "60");
        Assert.True(r.Status == 1, $"status {r.Status}; stderr: {r.Stderr}; stdout: {r.Stdout}");
        Assert.StartsWith("JitVirt demo: CPUID vendor=", r.Stdout);
        Assert.Contains("3 timer interrupts, paging on, TSC_AUX=0x0042", r.Stdout);
    }

    [Fact]
    public void UnknownFlagIsOneLineAndStatusTwo() => AssertOneLineUsageError(Run("run", "-frobnicate"), "-frobnicate");

    [Fact]
    public void MissingKernelIsOneLineAndStatusTwo() => AssertOneLineUsageError(Run("run", "-kernel", "/nonexistent/kernel.elf"), "/nonexistent/kernel.elf");

    [Fact]
    public void BadMemorySizeIsOneLineAndStatusTwo() => AssertOneLineUsageError(Run("run", "-m", "lots"), "lots");

    [Fact]
    public void UnknownDeviceIsOneLineAndStatusTwo() => AssertOneLineUsageError(Run("run", "-device", "virtio-blk"), "virtio-blk");

    [Fact]
    public void CorruptElfKernelIsReportedWithoutAStackTrace()
    {
        string path = Path.Combine(Path.GetTempPath(), $"jitvirt-corrupt-{Guid.NewGuid():N}.elf");
        File.WriteAllBytes(path, [0x7F, (byte)'E', (byte)'L', (byte)'F', 1, 1, 1, 0]);
        try
        {
            var r = Run("run", "-kernel", path, "--timeout", "5");
            Assert.Equal(CliExitCodes.Usage, r.Status);
            Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains(path, r.Stderr);
            Assert.DoesNotContain("   at ", r.Stderr);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void QemuNoOpOptionsAreAccepted()
    {
        var r = Run("run", "-machine", "accel=tcg", "-accel", "tcg", "-global", "kvm-pit.lost_tick_policy=discard",
            "-nographic", "-display", "none", "-nodefaults", "-serial", "none", "--timeout", "0.2");
        Assert.NotEqual(CliExitCodes.Usage, r.Status);
        Assert.Equal("", r.Stdout); // -serial none: nothing on stdout
    }

    [Fact]
    public void FlatKernelWithDebugExitDeviceUsesTheGuestStatus()
    {
        string path = Path.Combine(Path.GetTempPath(), $"jitvirt-flat-{Guid.NewGuid():N}.bin");
        File.WriteAllBytes(path, [0xB0, 0x2A, 0xE6, 0xF4, 0xF4]); // mov al,2Ah; out F4h,al; hlt
        try
        {
            var r = Run("run", "-kernel", path, "-device", "isa-debug-exit,iobase=0xf4,iosize=0x4", "--deterministic", "--timeout", "20");
            Assert.Equal((0x2A << 1) | 1, r.Status);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("256M", 256ul << 20)]
    [InlineData("1G", 1ul << 30)]
    [InlineData("512", 512ul << 20)]
    [InlineData("64MiB", 64ul << 20)]
    [InlineData("4096K", 4ul << 20)]
    public void MemorySizesFollowQemuSyntax(string text, ulong bytes) => Assert.Equal(bytes, MemorySize.Parse(text));

    [Fact]
    public void RunnerStatusesAreEvenSoTheyNeverLookLikeADebugExit()
    {
        foreach (int status in new[] { CliExitCodes.Usage, CliExitCodes.HostError, CliExitCodes.Halted, CliExitCodes.TripleFault, CliExitCodes.Timeout, CliExitCodes.Cancelled })
            Assert.Equal(0, status & 1);
    }
}
