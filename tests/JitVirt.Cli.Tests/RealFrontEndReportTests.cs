using System.Text.Json;
using System.Text.RegularExpressions;
using JitVirt.Virtualization;
using static JitVirt.Cli.Tests.CliHarness;

namespace JitVirt.Cli.Tests;

/// <summary>
/// --trace and the front-end counters with the real SVM and VMX front ends: both implement
/// <see cref="IExitTraceSource"/> and <see cref="IRunCounterSource"/>, so the tracepoints and the shadow-MMU
/// counters must be there.
/// </summary>
public class RealFrontEndReportTests
{
    private const string DebugExitDevice = "isa-debug-exit,iobase=0xf4,iosize=0x4";
    private static readonly Regex TraceLine = new(@"^ *jitvirt-\d+ \[000\] +\d+\.\d{6}: (?<event>kvm_\w+): (?<body>.*)$");

    [Theory]
    [InlineData("svm", typeof(JitVirt.Svm.SvmFrontEnd), "io")]
    [InlineData("vmx", typeof(JitVirt.Vmx.VmxFrontEnd), "IO_INSTRUCTION")]
    public void TraceUnderTheRealFrontEnd(string vm, Type frontEnd, string ioName)
    {
        using var kernel = new TempFile(Guests.PrintThenExit("Hi", 0));
        var r = Run("run", "-kernel", kernel.Path, "-device", DebugExitDevice, "--vm", vm, "--trace", "kvm_exit,kvm_pio", "--deterministic", "--timeout", "30");
        Assert.True(r.Status == 1, r.ToString());
        Assert.Equal("Hi", r.Stdout);
        Assert.True(typeof(IExitTraceSource).IsAssignableFrom(frontEnd));
        Assert.DoesNotContain(r.StderrLines, l => l.Contains("reports no tracepoints", StringComparison.Ordinal));
        var events = r.StderrLines.Select(l => TraceLine.Match(l)).Where(m => m.Success).ToList();
        // Three OUTs (two characters, then isa-debug-exit): three I/O exits and three pio_write lines.
        Assert.Equal(3, events.Count(m => m.Groups["event"].Value == "kvm_exit" && m.Groups["body"].Value.Contains($" reason {ioName} ", StringComparison.Ordinal)));
        Assert.Equal(["pio_write at 0x3f8 size 1 count 1 val 0x48 ", "pio_write at 0x3f8 size 1 count 1 val 0x69 ", "pio_write at 0xf4 size 1 count 1 val 0x0 "],
            events.Where(m => m.Groups["event"].Value == "kvm_pio").Select(m => m.Groups["body"].Value));
    }

    [Theory]
    [InlineData("svm", typeof(JitVirt.Svm.SvmFrontEnd))]
    [InlineData("vmx", typeof(JitVirt.Vmx.VmxFrontEnd))]
    public void ShadowMmuCountersUnderTheRealFrontEnd(string vm, Type frontEnd)
    {
        using var json = new TempFile(Path.Combine(Path.GetTempPath(), $"jitvirt-cli-{Guid.NewGuid():N}.json"));
        var r = Run("run", "--vm", vm, "--json", json.Path, "--deterministic", "--timeout", "60"); // the demo guest: paging on
        Assert.True(r.Status == 1, r.ToString());
        using var doc = JsonDocument.Parse(File.ReadAllText(json.Path));
        var keys = doc.RootElement.GetProperty("counters").EnumerateArray().Select(c => c.GetProperty("key").GetString()).ToList();
        Assert.Contains("guestInstructionsRetired", keys);
        Assert.True(typeof(IRunCounterSource).IsAssignableFrom(frontEnd));
        Assert.Contains("shadowMmuFaults", keys);
        Assert.Contains("shadowMmuFlushes", keys);
    }
}
