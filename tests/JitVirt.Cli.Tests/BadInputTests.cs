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

    /// <summary>Images that look like a kernel of some kind but are not a valid one: one line naming the file, status 2.</summary>
    public static TheoryData<string, byte[]> CorruptKernels()
    {
        var data = new TheoryData<string, byte[]>();
        // A bzImage signature ("HdrS" at 202h, boot.rst) in a file too short to hold the setup and the kernel.
        var bz = new byte[0x300];
        "HdrS"u8.CopyTo(bz.AsSpan(0x202));
        bz[0x1F1] = 4; // setup_sects
        data.Add("truncated bzImage", bz);
        // An ELF header (class 32, little-endian, i386) whose program headers lie beyond the end of the file.
        var elf = new byte[64];
        elf[0] = 0x7F; elf[1] = (byte)'E'; elf[2] = (byte)'L'; elf[3] = (byte)'F'; elf[4] = 1; elf[5] = 1; elf[6] = 1;
        elf[16] = 2; elf[18] = 3; elf[20] = 1; // ET_EXEC, EM_386, EV_CURRENT
        elf[28] = 0x00; elf[29] = 0x10; // e_phoff 1000h
        elf[42] = 32; elf[44] = 1; // e_phentsize, e_phnum
        data.Add("ELF with its program headers outside the file", elf);
        return data;
    }

    [Theory]
    [MemberData(nameof(CorruptKernels))]
    public void CorruptKernelIsOneLineWithTheHint(string what, byte[] image)
    {
        using var kernel = new TempFile(WriteTemp(image));
        var r = Run("run", "-kernel", kernel.Path, "--timeout", "5");
        Assert.True(r.Status == CliExitCodes.Usage, $"{what}: {r}");
        string line = Assert.Single(r.StderrLines);
        Assert.Contains(kernel.Path, line);
        Assert.Contains("--help", line);
        Assert.DoesNotContain("   at ", r.Stderr);
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
