using static JitVirt.Cli.Tests.CliHarness;

namespace JitVirt.Cli.Tests;

/// <summary>jitvirt run end to end: exit statuses, --until, --timeout, triple faults, host errors, and the guest console.</summary>
public class RunFlagTests
{
    private const string DebugExitDevice = "isa-debug-exit,iobase=0xf4,iosize=0x4";

    [Fact]
    public void GuestDebugExitValueIsPassedThroughAsQemuDoes()
    {
        using var kernel = new TempFile(Guests.PrintThenExit("bye\n", 0x15));
        var r = Run("run", "-kernel", kernel.Path, "-device", DebugExitDevice, "--deterministic", "--timeout", "30");
        Assert.True(r.Status == (0x15 << 1 | 1), r.ToString());
        Assert.Equal("bye\n", r.Stdout);
    }

    [Fact]
    public void UntilMarkerEndsTheRunWithStatusZeroAndKeepsTheConsole()
    {
        using var kernel = new TempFile(Guests.PrintThenSpin("booting\nREADY marker\n"));
        var r = Run("run", "-kernel", kernel.Path, "--until", "READY marker", "--deterministic", "--timeout", "30");
        Assert.True(r.Status == CliExitCodes.Success, r.ToString());
        Assert.Equal("booting\nREADY marker\n", r.Stdout);
    }

    [Fact]
    public void UntilMarkerThatNeverComesTimesOutWithStatus124AndTheConsoleIsKept()
    {
        using var kernel = new TempFile(Guests.PrintThenSpin("booting\n"));
        var r = Run("run", "-kernel", kernel.Path, "--until", "never printed", "--timeout", "0.5");
        Assert.True(r.Status == 124, r.ToString());
        Assert.Equal("booting\n", r.Stdout);
    }

    [Fact]
    public void UntilWatchesASerialFileToo()
    {
        using var kernel = new TempFile(Guests.PrintThenSpin("login: \nok\n"));
        using var serial = new TempFile();
        var r = Run("run", "-kernel", kernel.Path, "-serial", "file:" + serial.Path, "--until", "login:", "--timeout", "30");
        Assert.True(r.Status == CliExitCodes.Success, r.ToString());
        Assert.Equal("", r.Stdout);
        Assert.StartsWith("login: \n", File.ReadAllText(serial.Path));
    }

    [Fact]
    public void TimeoutWithoutUntilIsStatus124AndEverythingPrintedIsOnStdout()
    {
        using var kernel = new TempFile(Guests.PrintThenSpin("partial line without newline"));
        var r = Run("run", "-kernel", kernel.Path, "--timeout", "0.3");
        Assert.True(r.Status == CliExitCodes.Timeout, r.ToString());
        Assert.Equal("partial line without newline", r.Stdout); // flushed although no newline ended it
    }

    [Fact]
    public void TripleFaultUnderNoRebootIsStatus116WithTheConsoleKeptAndACpuResetDump()
    {
        using var kernel = new TempFile(Guests.PrintThenTripleFault("about to fault\n", out ushort int3Offset));
        Assert.Equal(0xCC, File.ReadAllBytes(kernel.Path)[int3Offset]); // the offset really is INT3's
        var r = Run("run", "-kernel", kernel.Path, "-no-reboot", "-d", "cpu_reset", "--deterministic", "--timeout", "30");
        Assert.True(r.Status == CliExitCodes.TripleFault, r.ToString());
        Assert.Equal("about to fault\n", r.Stdout);
        string[] lines = r.StderrLines;
        int header = Array.IndexOf(lines, "CPU Reset (CPU 0)");
        Assert.True(header >= 0, r.ToString());
        // QEMU's 32-bit layout (not in long mode): EAX.. line, then EIP with the flags and CPL/II/A20/SMM/HLT.
        Assert.Matches(@"^EAX=12345678 EBX=[0-9a-f]{8} ECX=00000000 EDX=000003f8$", lines[header + 1]);
        // The guest copied SP into BX after its three pushes: the dump shows the same value in both.
        string ebx = lines[header + 1].Substring("EAX=12345678 EBX=".Length, 8);
        Assert.EndsWith($"ESP={ebx}", lines[header + 2]);
        Assert.StartsWith($"EIP={0x7C00 + int3Offset:x8} EFL=", lines[header + 3]);
        Assert.EndsWith("CPL=0 II=0 A20=1 SMM=0 HLT=0", lines[header + 3]);
        // Real-mode segments: selector 0, base 0, limit FFFFh; not in protected mode, so no DPL/type suffix.
        Assert.Matches(@"^ES =0000 00000000 0000ffff 0000[0-9a-f]{2}00$", lines[header + 4]);
        Assert.Contains(lines, l => l == "IDT=     00000000 00000000"); // the limit-0 IDT the guest loaded
        Assert.Contains(lines, l => l.StartsWith("CR0=60000010 ", StringComparison.Ordinal)); // reset CR0 (SDM vol.3 §10.1.1)
        Assert.Contains(lines, l => l == "EFER=0000000000000000");
    }

    [Fact]
    public void TripleFaultWithSerialFileKeepsEverythingInTheFile()
    {
        using var kernel = new TempFile(Guests.PrintThenTripleFault("to the file\n", out _));
        using var serial = new TempFile();
        var r = Run("run", "-kernel", kernel.Path, "-no-reboot", "-serial", "file:" + serial.Path, "--deterministic", "--timeout", "30");
        Assert.True(r.Status == CliExitCodes.TripleFault, r.ToString());
        Assert.Equal("to the file\n", File.ReadAllText(serial.Path));
        Assert.DoesNotContain("CPU Reset", r.Stderr); // only with -d cpu_reset
    }

    [Fact]
    public void HostErrorIsStatus112OneLineAndTheConsoleWrittenBeforeItIsKept()
    {
        // The fake front end throws on its second slice: by then the guest has printed and is spinning.
        using var kernel = new TempFile(Guests.PrintThenSpin("before the failure\n"));
        var r = Run(FakeFrontEnd.Catalog(throwAfterRuns: 1), "run", "-kernel", kernel.Path, "--vm", "svm", "--deterministic", "--timeout", "30");
        Assert.True(r.Status == CliExitCodes.HostError, r.ToString());
        Assert.Equal("before the failure\n", r.Stdout);
        Assert.Single(r.StderrLines);
        Assert.Contains("fake front end failure", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Theory]
    [InlineData("svm", "io")]
    [InlineData("vmx", "IO_INSTRUCTION")]
    public void VmRunsTheGuestUnderTheBuiltInFrontEnd(string vm, string ioExitName)
    {
        using var kernel = new TempFile(Guests.PrintThenExit("x\n", 3));
        var r = Run("run", "-kernel", kernel.Path, "-device", DebugExitDevice, "--vm", vm, "--stats", "--timeout", "30");
        Assert.True(r.Status == (3 << 1 | 1), r.ToString());
        Assert.Equal("x\n", r.Stdout);
        // Two characters and the debug-exit write leave through I/O exits under KVM's name for this front end.
        Assert.Matches(@"(?m)^\s+" + ioExitName + @"\s+\d+\s", r.Stderr);
    }

    [Fact]
    public void DemoGuestRunsUnderAFakeFrontEnd()
    {
        var r = Run(FakeFrontEnd.Catalog(), "run", "--vm", "svm", "--deterministic", "--timeout", "60");
        Assert.True(r.Status == 1, r.ToString());
        Assert.StartsWith("JitVirt demo: CPUID vendor=", r.Stdout);
    }
}

/// <summary>The guest console survives the remaining ways out: a host error with a file console, and an interrupt.</summary>
public class ConsoleKeptTests
{
    [Fact]
    public void HostErrorWithSerialFileKeepsTheFile()
    {
        using var kernel = new TempFile(Guests.PrintThenSpin("into the file, then the host fails\n"));
        using var serial = new TempFile();
        var r = Run(FakeFrontEnd.Catalog(throwAfterRuns: 1), "run", "-kernel", kernel.Path, "--vm", "vmx", "-serial", "file:" + serial.Path, "--deterministic", "--timeout", "30");
        Assert.True(r.Status == CliExitCodes.HostError, r.ToString());
        Assert.Equal("into the file, then the host fails\n", File.ReadAllText(serial.Path));
    }

    [Fact]
    public void TimeoutWithSerialFileKeepsEverythingInTheFile()
    {
        using var kernel = new TempFile(Guests.PrintThenSpin("line one\nno newline at the end"));
        using var serial = new TempFile();
        var r = Run("run", "-kernel", kernel.Path, "-serial", "file:" + serial.Path, "--timeout", "0.5");
        Assert.True(r.Status == CliExitCodes.Timeout, r.ToString());
        Assert.Equal("line one\nno newline at the end", File.ReadAllText(serial.Path));
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void InterruptIsStatus130AndTheConsoleIsKept()
    {
        using var kernel = new TempFile(Guests.PrintThenSpin("until Ctrl+C\n"));
        using var cancel = new CancellationTokenSource();
        using var stdout = new InterruptOnOutput(cancel); // "Ctrl+C" as soon as the guest's line reaches the console
        using var stderr = new StringWriter();
        int status = JitVirtCli.Run(["run", "-kernel", kernel.Path, "--timeout", "30"], stdout, stderr, cancel.Token);
        Assert.Equal(CliExitCodes.Cancelled, status);
        Assert.Equal("until Ctrl+C\n", System.Text.Encoding.UTF8.GetString(stdout.ToArray()));
    }

    private sealed class InterruptOnOutput(CancellationTokenSource cancel) : MemoryStream
    {
        // MemoryStream's span overload comes back here for a derived type; only this overload is overridden.
        public override void Write(byte[] buffer, int offset, int count)
        {
            base.Write(buffer, offset, count);
            cancel.Cancel();
        }
    }
}
