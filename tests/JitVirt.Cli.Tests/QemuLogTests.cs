using JitVirt.Machine.Bus;
using JitVirt.Machine.Pc;
using static JitVirt.Cli.Tests.CliHarness;

namespace JitVirt.Cli.Tests;

/// <summary>-d int, -d guest_errors and -d cpu_reset, on stderr or in the -D file.</summary>
public class QemuLogTests
{
    private const string DebugExitDevice = "isa-debug-exit,iobase=0xf4,iosize=0x4";

    /// <summary>
    /// QEMU's do_interrupt_all line for each delivery in protected mode:
    /// "%6d: v=%02x e=%04x i=%d cpl=%d IP=%04x:%016lx pc=%016lx SP=%04x:%016lx" then " CR2=..." for #PF or
    /// " env->regs[R_EAX]=%016lx", followed by the register dump without FPU registers.
    /// </summary>
    [Theory]
    [InlineData("svm")]
    [InlineData("vmx")]
    [InlineData("none")]
    public void IntLogsEachProtectedModeDeliveryInQemusFormat(string vm)
    {
        using var kernel = new TempFile(WriteTemp(GuestImages.ProtectedModeInterrupts(0x05)));
        var r = Run("run", "-kernel", kernel.Path, "-device", DebugExitDevice, "--vm", vm, "-d", "int", "--deterministic", "--timeout", "30");
        Assert.True(r.Status == (0x05 << 1 | 1), r.ToString());
        Assert.Equal("pm\n", r.Stdout); // the log stays off stdout
        string[] lines = r.StderrLines;
        var events = lines.Select((l, i) => (l, i)).Where(x => x.l.Contains(": v=", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, events.Count);
        // INT 30h: a software interrupt (i=1), no error code, IP at the INT instruction itself, flat CS so pc = IP.
        Assert.Equal($"     0: v=30 e=0000 i=1 cpl=0 IP=0008:{GuestImages.IntAddress:x16} pc={GuestImages.IntAddress:x16} SP=0010:{GuestImages.StackTop:x16} env->regs[R_EAX]={0x1234:x16}", events[0].l);
        // UD2: a fault (i=0) at the UD2, after the INT's handler returned (same stack).
        Assert.Equal($"     1: v=06 e=0000 i=0 cpl=0 IP=0008:{GuestImages.Ud2Address:x16} pc={GuestImages.Ud2Address:x16} SP=0010:{GuestImages.StackTop:x16} env->regs[R_EAX]={0x5678:x16}", events[1].l);
        // Each line is followed by the register dump in the 32-bit layout, without the FPU part.
        Assert.StartsWith("EAX=00001234 ", lines[events[0].i + 1]);
        Assert.StartsWith("EAX=00005678 ", lines[events[1].i + 1]);
        Assert.StartsWith($"EIP={GuestImages.Ud2Address:x8} ", lines[events[1].i + 3]);
        var dump = lines[(events[0].i + 1)..events[1].i];
        uint cr0 = Convert.ToUInt32(dump.Single(l => l.StartsWith("CR0=", StringComparison.Ordinal))[4..12], 16);
        Assert.True((cr0 & 1) == 1, $"CR0={cr0:x8}: PE set");
        // Reset CR0 60000010h (SDM vol.3 §10.1.1) with PE set. Under VMX the processor state is the one the guest
        // runs with, whose CR0 has the bits VMX operation fixes to 1 (SDM vol.3 §24.8, IA32_VMX_CR0_FIXED0).
        if (vm != "vmx") Assert.Equal(0x6000_0011u, cr0);
        Assert.Equal("EFER=0000000000000000", dump[^1]);
        Assert.DoesNotContain(lines, l => l.StartsWith("FCW=", StringComparison.Ordinal));
    }

    /// <summary>
    /// The demo guest takes three timer interrupts in protected mode: each is announced by QEMU's
    /// "Servicing hardware INT=0xNN" and then logged as a delivery of that vector, not a software one (i=0).
    /// </summary>
    [Fact]
    public void IntLogsExternalInterruptsAsQemuServicesThem()
    {
        using var log = new TempFile();
        var r = Run("-d", "int,cpu_reset,guest_errors", "-D", log.Path, "--deterministic", "--timeout", "60");
        Assert.True(r.Status == 1, r.ToString());
        string[] lines = File.ReadAllLines(log.Path);
        var serviced = lines.Select((l, i) => (Match: System.Text.RegularExpressions.Regex.Match(l, "^Servicing hardware INT=0x([0-9a-f]{2})$"), Index: i))
            .Where(x => x.Match.Success).ToList();
        Assert.True(serviced.Count >= 3, string.Join('\n', lines.Take(40)));
        foreach (var (match, index) in serviced)
            Assert.Matches($@"^ *\d+: v={match.Groups[1].Value} e=0000 i=0 cpl=0 ", lines[index + 1]);
        Assert.DoesNotContain(lines, l => l.StartsWith("guest error:", StringComparison.Ordinal)); // the demo makes no mistakes
    }

    [Fact]
    public void IntLogsNothingForRealModeDeliveries()
    {
        // The triple-fault guest runs in real mode: QEMU logs do_interrupt_all only with CR0.PE set.
        using var kernel = new TempFile(Guests.PrintThenTripleFault("real\n", out _));
        var r = Run("run", "-kernel", kernel.Path, "-no-reboot", "-d", "int", "--deterministic", "--timeout", "30");
        Assert.True(r.Status == CliExitCodes.TripleFault, r.ToString());
        Assert.DoesNotContain(r.StderrLines, l => l.Contains(": v=", StringComparison.Ordinal));
    }

    [Fact]
    public void LogFileTakesTheLogAndStderrStaysClean()
    {
        using var kernel = new TempFile(WriteTemp(GuestImages.ProtectedModeInterrupts(0)));
        using var log = new TempFile();
        var r = Run("run", "-kernel", kernel.Path, "-device", DebugExitDevice, "-d", "int", "-D", log.Path, "--timeout", "30");
        Assert.True(r.Status == 1, r.ToString());
        Assert.Equal("", r.Stderr);
        string[] lines = File.ReadAllLines(log.Path);
        Assert.Equal(2, lines.Count(l => l.Contains(": v=", StringComparison.Ordinal)));
        Assert.StartsWith("     0: v=30 ", lines[0]);
    }

    [Fact]
    public void CpuResetGoesToTheLogFileWithTheTripleFaultLine()
    {
        using var kernel = new TempFile(Guests.PrintThenTripleFault("x\n", out _));
        using var log = new TempFile();
        var r = Run("run", "-kernel", kernel.Path, "-no-reboot", "-d", "cpu_reset", "-D", log.Path, "--deterministic", "--timeout", "30");
        Assert.True(r.Status == CliExitCodes.TripleFault, r.ToString());
        Assert.DoesNotContain("CPU Reset", r.Stderr);
        string[] lines = File.ReadAllLines(log.Path);
        Assert.Equal("Triple fault", lines[0]); // QEMU's check_exception line under cpu_reset
        Assert.Equal("CPU Reset (CPU 0)", lines[1]);
        Assert.Contains(lines, l => l.StartsWith("FCW=", StringComparison.Ordinal)); // cpu_reset's dump has the FPU part
    }

    [Fact]
    public void CpuResetDumpsAtEveryRebootAfterATripleFault()
    {
        // Without -no-reboot each triple fault reboots the machine and the guest runs again: one dump per reboot.
        using var kernel = new TempFile(Guests.PrintThenTripleFault("again\n", out ushort int3Offset));
        using var log = new TempFile();
        var r = Run("run", "-kernel", kernel.Path, "-d", "cpu_reset", "-D", log.Path, "--timeout", "1");
        Assert.True(r.Status == CliExitCodes.Timeout, r.ToString());
        string[] lines = File.ReadAllLines(log.Path);
        int[] resets = Enumerable.Range(0, lines.Length).Where(i => lines[i] == "CPU Reset (CPU 0)").ToArray();
        Assert.True(resets.Length >= 2, $"{resets.Length} dumps");
        // Each boot printed once before it faulted; a timeout may cut the last boot short after its line.
        int boots = r.Stdout.Split("again\n").Length - 1;
        Assert.InRange(boots, resets.Length, resets.Length + 1);
        foreach (int i in resets)
        {
            Assert.Equal("Triple fault", lines[i - 1]);
            Assert.StartsWith($"EIP={0x7C00 + int3Offset:x8} ", lines[i + 3]); // the state at the fault, before the reset
        }
    }

    [Fact]
    public void GuestErrorsReportUnassignedPortsAndUnimplementedInstructions()
    {
        const byte port = 0x99;
        // Premises: nothing answers port 99h on JitVirt's PC, and JitVirt's CPU does not implement CRC32.
        using (var machine = new PcMachine(new MachineConfig { Serial = OutputTarget.None }))
            Assert.IsType<OpenBusPortDevice>(machine.Ports.Resolve(port));
        Assert.False(JitVirt.Cpu.Execution.HandlerTable.IsImplemented(Iced.Intel.Code.Crc32_r32_rm32));
        byte[] image = GuestImages.GuestErrors(port, 0x21);
        Assert.Equal(0xEB, image[0]); // a 2-byte short jump: the handler is at 7C02h
        int crc32 = IndexOf(image, [0x0F, 0x38, 0xF1]) - 2; // with its 66h and F2h prefixes
        Assert.True(image[crc32] is 0x66 or 0xF2 && image[crc32 + 1] is 0x66 or 0xF2);
        using var kernel = new TempFile(WriteTemp(image));
        var r = Run("run", "-kernel", kernel.Path, "-device", DebugExitDevice, "-d", "guest_errors", "--timeout", "30");
        Assert.True(r.Status == (0x21 << 1 | 1), r.ToString());
        Assert.Equal("ud\n", r.Stdout);
        Assert.Equal(
        [
            "guest error: read from unassigned I/O port 0x0099 (size 1)",
            "guest error: write of 0x5a to unassigned I/O port 0x0099 (size 1)",
            $"guest error: unimplemented instruction 'crc32' at 0000:{Origin + crc32:x16} raised #UD",
        ], r.StderrLines);
    }

    [Fact]
    public void GuestErrorsReportATripleFault()
    {
        using var kernel = new TempFile(Guests.PrintThenTripleFault("x\n", out _));
        var r = Run("run", "-kernel", kernel.Path, "-no-reboot", "-d", "guest_errors", "--deterministic", "--timeout", "30");
        Assert.True(r.Status == CliExitCodes.TripleFault, r.ToString());
        Assert.Contains("Triple fault", r.StderrLines);
        Assert.DoesNotContain("CPU Reset", r.Stderr); // the dump is cpu_reset's
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle)) return i;
        return -1;
    }
}
