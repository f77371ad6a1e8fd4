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
        // -smp: one vCPU only; a larger count or topology is an impossible request, not a silent downgrade.
        { ["run", "-smp", "2"], "-smp 2" },
        { ["run", "-smp", "cpus=1,maxcpus=4"], "maxcpus=4" },
        { ["run", "-smp", "sockets=2"], "sockets=2" },
        { ["run", "-smp", "two"], "two" },
        { ["run", "-smp", "1,bogus=1"], "bogus=1" },
        // -d / -D
        { ["run", "-d", "int,in_asm"], "in_asm" },
        { ["run", "-d", ","], "-d" },
        { ["run", "-d", "int", "-D", "/nonexistent-dir/qemu.log"], "/nonexistent-dir/qemu.log" },
        // images and sizes
        { ["run", "-bios", "/nonexistent/bios.bin"], "/nonexistent/bios.bin" },
        { ["run", "-m", "0"], "0" },
        { ["run", "-m", "1M"], "1M" },
        { ["run", "-m", "64X"], "64X" },
        { ["run", "-m", "4098K"], "4098K" },
        { ["run", "-device", "isa-debug-exit,iobase=zz"], "zz" },
        { ["run", "-device", "isa-debug-exit,colour=red"], "colour" },
        // impossible combinations
        { ["run", "-kernel", "/tmp", "-bios", "/tmp"], "-bios" },
        { ["compare", "--stats"], "compare" },
        { ["run", "-kernel"], "-kernel" },
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
    public void BiosOfTheWrongSizeIsOneLineWithTheHint()
    {
        // A ROM must be a whole number of 64 KiB (the granule it is mapped in below 4 GiB).
        using var bios = new TempFile(WriteTemp(new byte[12345], ".rom"));
        var r = Run("run", "-bios", bios.Path, "--timeout", "5");
        Assert.Equal(CliExitCodes.Usage, r.Status);
        string line = Assert.Single(r.StderrLines);
        Assert.Contains(bios.Path, line);
        Assert.Contains("--help", line);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void EmptyKernelIsOneLineWithTheHint()
    {
        using var kernel = new TempFile(WriteTemp([]));
        var r = Run("run", "-kernel", kernel.Path);
        Assert.Equal(CliExitCodes.Usage, r.Status);
        Assert.Contains("empty", Assert.Single(r.StderrLines));
    }

    [Fact]
    public void RunnerStatusesAreEvenAndDistinct()
    {
        int[] statuses = [CliExitCodes.Usage, CliExitCodes.HostError, CliExitCodes.Halted, CliExitCodes.TripleFault, CliExitCodes.CompareMismatch, CliExitCodes.Timeout, CliExitCodes.Cancelled];
        Assert.All(statuses, s => Assert.Equal(0, s & 1)); // never a (v << 1) | 1 debug-exit status
        Assert.Equal(statuses.Length, statuses.Distinct().Count());
    }
}
