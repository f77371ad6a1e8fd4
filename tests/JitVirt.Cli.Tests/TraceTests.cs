using System.Text.RegularExpressions;
using JitVirt.Cli.Trace;
using static JitVirt.Cli.Tests.CliHarness;

namespace JitVirt.Cli.Tests;

/// <summary>--trace: the KVM tracepoints in the text Linux's TP_printk formats give (arch/x86/kvm/trace.h).</summary>
public class TraceTests
{
    private const string DebugExitDevice = "isa-debug-exit,iobase=0xf4,iosize=0x4";

    /// <summary>ftrace's line: task-pid, [cpu], seconds with six decimals, event name, then the event's text.</summary>
    private static readonly Regex TraceLine = new(@"^ *jitvirt-\d+ \[000\] +\d+\.\d{6}: (?<event>kvm_\w+): (?<body>.*)$");

    [Fact]
    public void ExitAndPioLinesFollowTheKvmTracepointFormats()
    {
        const string text = "Hi";
        using var kernel = new TempFile(Guests.PrintThenExit(text, 0));
        var r = Run(FakeFrontEnd.Catalog(), "run", "-kernel", kernel.Path, "-device", DebugExitDevice, "--vm", "svm",
            "--trace", "kvm_exit,kvm_pio", "--deterministic", "--timeout", "30");
        Assert.True(r.Status == 1, r.ToString());
        Assert.Equal(text, r.Stdout);
        var events = r.StderrLines.Select(l => TraceLine.Match(l)).Where(m => m.Success).ToList();
        Assert.DoesNotContain(events, m => m.Groups["event"].Value == "kvm_entry"); // not asked for

        // Print: mov dx,3F8h (3 bytes at 7C00h), then mov al,c (2 bytes) + out dx,al (1 byte) per character.
        var exits = events.Where(m => m.Groups["event"].Value == "kvm_exit").Select(m => m.Groups["body"].Value).ToList();
        for (int i = 0; i < text.Length; i++)
        {
            ulong rip = 0x7C00 + 3 + 3 * (ulong)i + 2;
            Assert.Contains($"vcpu 0 reason io rip 0x{rip:x} info1 0x0000000000000000 info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000", exits);
        }
        var pio = events.Where(m => m.Groups["event"].Value == "kvm_pio").Select(m => m.Groups["body"].Value).ToList();
        // TP_printk("pio_%s at 0x%x size %d count %d val 0x%x %s") with an empty last %s: a trailing space.
        Assert.Equal(["pio_write at 0x3f8 size 1 count 1 val 0x48 ", "pio_write at 0x3f8 size 1 count 1 val 0x69 ", "pio_write at 0xf4 size 1 count 1 val 0x0 "], pio);
    }

    [Fact]
    public void EveryTracepointFormatsAsLinuxPrintsIt()
    {
        var output = new StringWriter();
        var log = new KvmTraceLog(output, KvmTraceEvents.All) { ClockNanoseconds = () => 1_500_000_250 };
        log.Exit(0x7C, "msr", 0xFFFFFFFF81000010, 1, 0, 0, 0);
        log.Entry(0x100000);
        log.Pio(false, 0x64, 1, 1, 0x1C);
        log.Pio(true, 0x1F0, 2, 256, 0xABCD);
        log.Msr(true, 0x174, 0x10, false);
        log.Msr(false, 0xC0000080, 0, true);
        log.Cpuid(0x80000001, 0, 0, 0, 0x1, 0x20100800, true);
        log.Cr(true, 0, 0x80050033);
        log.PageFault(0xB8000, 0x2);
        log.InjectException(14, true, 0x2);
        log.InjectException(6, false, 0);
        log.InjectException(2, false, 0);
        string[] bodies = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => TraceLine.Match(l)).Select(m => $"{m.Groups["event"].Value}: {m.Groups["body"].Value}").ToArray();
        Assert.Equal(
        [
            "kvm_exit: vcpu 0 reason msr rip 0xffffffff81000010 info1 0x0000000000000001 info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000",
            "kvm_entry: vcpu 0, rip 0x100000",
            "kvm_pio: pio_read at 0x64 size 1 count 1 val 0x1c ",
            "kvm_pio: pio_write at 0x1f0 size 2 count 256 val 0xabcd (...)",
            "kvm_msr: msr_write 174 = 0x10",
            "kvm_msr: msr_read c0000080 = 0x0 (#GP)",
            "kvm_cpuid: func 80000001 idx 0 rax 0 rbx 0 rcx 1 rdx 20100800, cpuid entry found",
            "kvm_cr: cr_write 0 = 0x80050033",
            "kvm_page_fault: address b8000 error_code 2",
            "kvm_inj_exception: #PF (0x2)",
            "kvm_inj_exception: #UD (0x0)",
            "kvm_inj_exception: 0x2 (0x0)", // NMI is not in kvm_trace_sym_exc: __print_symbolic falls back to hex
        ], bodies);
        Assert.Contains(" 1.500000: kvm_exit", output.ToString()); // the clock, in seconds with microseconds
    }

    [Theory]
    [InlineData("kvm_exit", KvmTraceEvents.Exit)]
    [InlineData("kvm:kvm_pio,kvm_msr", KvmTraceEvents.Pio | KvmTraceEvents.Msr)]
    [InlineData("kvm_*", KvmTraceEvents.All)]
    public void EventListsParse(string text, KvmTraceEvents expected) => Assert.Equal(expected, KvmTraceEventList.Parse(text));
}
