using System.Text.Json;
using System.Text.RegularExpressions;
using static JitVirt.Cli.Tests.CliHarness;

namespace JitVirt.Cli.Tests;

/// <summary>
/// Issue 8, scope 1: every QEMU-spelled flag of <c>jitvirt run</c> through the real command, each with an
/// effect the guest or the run can observe (or, for the options that change nothing for JitVirt, the same
/// run as without them).
/// </summary>
public class QemuFlagTests
{
    private const string DebugExitDevice = "isa-debug-exit,iobase=0xf4,iosize=0x4";

    [Fact]
    public void NoArgumentsBootsTheDemoGuestUnderSvm()
    {
        using var json = new TempFile(Path.Combine(Path.GetTempPath(), $"jitvirt-cli-{Guid.NewGuid():N}.json"));
        var r = Run("--json", json.Path);
        Assert.True(r.Status == 1, r.ToString()); // the demo writes 0 to isa-debug-exit: (0 << 1) | 1
        Assert.StartsWith("JitVirt demo: CPUID vendor=", r.Stdout);
        Assert.Contains("demo guest passed", r.Stderr);
        using var doc = JsonDocument.Parse(File.ReadAllText(json.Path));
        var config = doc.RootElement.GetProperty("configuration");
        Assert.True(config.GetProperty("demo").GetBoolean());
        Assert.Equal("svm", config.GetProperty("vm").GetString()); // --vm defaults to svm
        Assert.Equal("svm", config.GetProperty("frontEnd").GetString());
        Assert.NotEmpty(doc.RootElement.GetProperty("exits").GetProperty("rows").EnumerateArray());
    }

    [Fact]
    public void VmNoneRunsOnTheBareInterpreterWithNoExits()
    {
        using var kernel = new TempFile(Guests.PrintThenExit("bare\n", 4));
        using var json = new TempFile(Path.Combine(Path.GetTempPath(), $"jitvirt-cli-{Guid.NewGuid():N}.json"));
        var r = Run("run", "-kernel", kernel.Path, "-device", DebugExitDevice, "--vm", "none", "--json", json.Path, "--timeout", "30");
        Assert.True(r.Status == (4 << 1 | 1), r.ToString());
        Assert.Equal("bare\n", r.Stdout);
        using var doc = JsonDocument.Parse(File.ReadAllText(json.Path));
        Assert.Equal("none", doc.RootElement.GetProperty("configuration").GetProperty("vm").GetString());
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("configuration").GetProperty("frontEnd").ValueKind);
        Assert.Equal(0, doc.RootElement.GetProperty("exits").GetProperty("totalSamples").GetInt64());
    }

    /// <summary>Options a QEMU command line carries that change nothing for JitVirt: the same output and status as without them.</summary>
    [Theory]
    [InlineData("-nographic")]
    [InlineData("-display", "none")]
    [InlineData("-vnc", "none")]
    [InlineData("-machine", "accel=tcg")]
    [InlineData("-accel", "tcg")]
    [InlineData("-global", "kvm-pit.lost_tick_policy=discard")]
    [InlineData("-smp", "1")]
    [InlineData("-smp", "cpus=1,sockets=1,cores=1,threads=1")]
    [InlineData("-nographic", "-machine", "accel=tcg", "-accel", "tcg", "-display", "none", "-global", "kvm-pit.lost_tick_policy=discard", "-smp", "1")]
    public void AcceptedAndIgnored(params string[] extra)
    {
        using var kernel = new TempFile(Guests.PrintThenExit("same\n", 9));
        string[] baseArgs = ["run", "-kernel", kernel.Path, "-device", DebugExitDevice, "--deterministic", "--timeout", "30"];
        var plain = Run(baseArgs);
        var with = Run([.. baseArgs, .. extra]);
        Assert.True(plain.Status == (9 << 1 | 1), plain.ToString());
        Assert.Equal(plain.Status, with.Status);
        Assert.Equal("same\n", with.Stdout);
        Assert.Equal(plain.Stderr, with.Stderr);
    }

    [Fact]
    public void AppendAndInitrdReachAMultibootKernel()
    {
        using var kernel = new TempFile(WriteTemp(GuestImages.MultibootEcho(), ".elf"));
        using var initrd = new TempFile(WriteTemp("module-bytes"u8.ToArray()));
        var r = Run("run", "-kernel", kernel.Path, "-initrd", initrd.Path, "-append", "console=ttyS0 quiet", "-device", DebugExitDevice, "--timeout", "30");
        Assert.True(r.Status == 1, r.ToString());
        // QEMU's Multiboot loader passes "<kernel file> <append>" as the command line; the module is the initrd's bytes.
        Assert.EndsWith(" console=ttyS0 quiet|module-bytes\n", r.Stdout);
        Assert.Contains(Path.GetFileName(kernel.Path), r.Stdout);
    }

    [Fact]
    public void BiosRomIsEnteredAtTheResetVector()
    {
        byte[] rom = GuestImages.BiosRom("from the rom\n", 0x0C);
        Assert.Equal(0xEA, rom[0xFFF0]); // the reset vector's far jump, FFFFFFF0h = ROM offset FFF0h
        using var bios = new TempFile(WriteTemp(rom, ".rom"));
        var r = Run("run", "-bios", bios.Path, "-device", DebugExitDevice, "--timeout", "30");
        Assert.True(r.Status == (0x0C << 1 | 1), r.ToString());
        Assert.Equal("from the rom\n", r.Stdout);
    }

    [Theory]
    [InlineData("64M", 64L << 20)]
    [InlineData("1G", 1L << 30)]
    [InlineData("256", 256L << 20)] // a bare number is MiB, as in QEMU
    public void MemorySizeIsTheMachineRam(string size, long bytes)
    {
        using var kernel = new TempFile(Guests.PrintThenExit("m\n", 0));
        using var json = new TempFile(Path.Combine(Path.GetTempPath(), $"jitvirt-cli-{Guid.NewGuid():N}.json"));
        var r = Run("run", "-kernel", kernel.Path, "-m", size, "-device", DebugExitDevice, "--json", json.Path, "--timeout", "30");
        Assert.True(r.Status == 1, r.ToString());
        using var doc = JsonDocument.Parse(File.ReadAllText(json.Path));
        Assert.Equal(bytes, doc.RootElement.GetProperty("configuration").GetProperty("memoryBytes").GetInt64());
    }

    [Fact]
    public void SerialNoneDropsTheConsoleAndSerialFileReceivesIt()
    {
        using var kernel = new TempFile(Guests.PrintThenExit("to com1\n", 0));
        var none = Run("run", "-kernel", kernel.Path, "-serial", "none", "-device", DebugExitDevice, "--timeout", "30");
        Assert.True(none.Status == 1, none.ToString());
        Assert.Equal("", none.Stdout);
        using var serial = new TempFile();
        var file = Run("run", "-kernel", kernel.Path, "-serial", "file:" + serial.Path, "-device", DebugExitDevice, "--timeout", "30");
        Assert.True(file.Status == 1, file.ToString());
        Assert.Equal("", file.Stdout);
        Assert.Equal("to com1\n", File.ReadAllText(serial.Path));
        var stdio = Run("run", "-kernel", kernel.Path, "-serial", "stdio", "-device", DebugExitDevice, "--timeout", "30");
        Assert.Equal("to com1\n", stdio.Stdout);
    }

    [Fact]
    public void NoDefaultsDropsCom1UnlessSerialIsGiven()
    {
        using var kernel = new TempFile(Guests.PrintThenExit("hidden\n", 0));
        var r = Run("run", "-nodefaults", "-kernel", kernel.Path, "-device", DebugExitDevice, "--timeout", "30");
        Assert.True(r.Status == 1, r.ToString());
        Assert.Equal("", r.Stdout);
        var shown = Run("run", "-nodefaults", "-serial", "stdio", "-kernel", kernel.Path, "-device", DebugExitDevice, "--timeout", "30");
        Assert.Equal("hidden\n", shown.Stdout);
    }

    [Fact]
    public void DebugExitAtAnotherPortIsThereOnlyWithTheDevice()
    {
        using var kernel = new TempFile(WriteTemp(GuestImages.PrintThenExitAt("x\n", 0x501, 0x11)));
        var r = Run("run", "-kernel", kernel.Path, "-device", "isa-debug-exit,iobase=0x501,iosize=0x2", "--timeout", "30");
        Assert.True(r.Status == (0x11 << 1 | 1), r.ToString());
        // Without -device isa-debug-exit nothing answers the port (as in QEMU): the guest spins until the timeout.
        var without = Run("run", "-kernel", kernel.Path, "--timeout", "0.5");
        Assert.Equal(CliExitCodes.Timeout, without.Status);
        Assert.Equal("x\n", without.Stdout);
    }

    [Fact]
    public void NoRebootMakesATripleFaultEndTheRunOtherwiseTheGuestBootsAgain()
    {
        using var kernel = new TempFile(Guests.PrintThenTripleFault("boot\n", out _));
        var noReboot = Run("run", "-kernel", kernel.Path, "-no-reboot", "--deterministic", "--timeout", "30");
        Assert.True(noReboot.Status == CliExitCodes.TripleFault, noReboot.ToString());
        Assert.Equal("boot\n", noReboot.Stdout);
        // Without -no-reboot the machine resets and boots the image again, as QEMU does, until the timeout.
        var rebooting = Run("run", "-kernel", kernel.Path, "--timeout", "1");
        Assert.True(rebooting.Status == CliExitCodes.Timeout, rebooting.ToString());
        Assert.StartsWith("boot\nboot\n", rebooting.Stdout);
    }

    [Fact]
    public void PcTestDevScratchRegisterAnswersOnlyWithTheDevice()
    {
        using var kernel = new TempFile(WriteTemp(GuestImages.PcTestDevScratch()));
        var r = Run("run", "-kernel", kernel.Path, "-device", "pc-testdev", "-device", DebugExitDevice, "--timeout", "30");
        Assert.True(r.Status == (0x2A << 1 | 1), r.ToString()); // byte lane 2 of 112A3344h
        var without = Run("run", "-kernel", kernel.Path, "-device", DebugExitDevice, "--timeout", "30");
        Assert.True(without.Status == (0xFF << 1 | 1), without.ToString()); // an unassigned port reads all ones
    }

    [Fact]
    public void PciTestDevIsOnTheBusOnlyWithTheDevice()
    {
        using var kernel = new TempFile(WriteTemp(GuestImages.PciTestDevProbe()));
        var r = Run("run", "-kernel", kernel.Path, "-device", "pci-testdev", "-device", DebugExitDevice, "--timeout", "30");
        Assert.True(r.Status == (GuestImages.PciFound << 1 | 1), r.ToString());
        var without = Run("run", "-kernel", kernel.Path, "-device", DebugExitDevice, "--timeout", "30");
        Assert.True(without.Status == (GuestImages.PciNotFound << 1 | 1), without.ToString());
    }

    [Fact]
    public void E9ConsoleGoesToStdoutOnlyWithTheFlag()
    {
        using var kernel = new TempFile(WriteTemp(GuestImages.PrintOnPortE9("e9 text\n", 0)));
        var r = Run("run", "-kernel", kernel.Path, "--e9", "-device", DebugExitDevice, "--timeout", "30");
        Assert.True(r.Status == 1, r.ToString());
        Assert.Equal("e9 text\n", r.Stdout);
        var without = Run("run", "-kernel", kernel.Path, "-device", DebugExitDevice, "--timeout", "30");
        Assert.Equal("", without.Stdout);
    }

    [Fact]
    public void DeterministicRunsAreAlikeToTheTraceTimestamp()
    {
        using var kernel = new TempFile(Guests.PrintThenExit("det\n", 0));
        string[] args = ["run", "-kernel", kernel.Path, "-device", DebugExitDevice, "--deterministic", "--trace", "kvm_exit", "--timeout", "30"];
        var first = Run(FakeFrontEnd.Catalog(), args);
        var second = Run(FakeFrontEnd.Catalog(), args);
        Assert.True(first.Status == 1, first.ToString());
        // Virtual time counts retired instructions, so every exit has the same timestamp in both runs (the pid column aside).
        static string[] Times(CliHarness.Result r) => r.StderrLines.Select(l => Regex.Match(l, @"\] +(\d+\.\d{6}): kvm_exit: (.*)$")).Where(m => m.Success).Select(m => m.Groups[1].Value + " " + m.Groups[2].Value).ToArray();
        Assert.NotEmpty(Times(first));
        Assert.Equal(Times(first), Times(second));
    }
}

/// <summary>run --help lists every option of issue 8's scope, on stdout, with status 0.</summary>
public class HelpTests
{
    [Fact]
    public void RunHelpListsEveryOption()
    {
        var r = Run("run", "--help");
        Assert.True(r.Status == 0, r.ToString());
        foreach (string option in new[]
        {
            "-kernel", "-initrd", "-append", "-bios", "-m", "-smp", "-serial", "-nographic", "-no-reboot", "-device", "-d", "-D",
            "-nodefaults", "-display", "-machine", "-accel", "-global", "--vm", "--timeout", "--until", "--stats", "--json",
            "--trace", "--deterministic", "--e9",
        })
            Assert.Matches($@"(?m)^  {Regex.Escape(option)}[ ,<]", r.Stdout);
        Assert.Contains("[default: svm]", r.Stdout);
        Assert.Contains("124 --timeout expired", r.Stdout);
    }
}
