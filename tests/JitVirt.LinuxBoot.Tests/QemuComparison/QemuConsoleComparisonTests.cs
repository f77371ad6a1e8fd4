using Xunit.Abstractions;

namespace JitVirt.LinuxBoot.Tests.QemuComparison;

/// <summary>
/// Issue 11, acceptance 2: JitVirt's console for the guest matches QEMU TCG's for the same kernel, initrd,
/// RAM and command line, line by line, once the reviewed differences in <see cref="ConsoleFilters"/> are
/// filtered. Both consoles are written to the test output, filtered, so a failure shows the whole picture.
/// </summary>
[Trait("Category", "LinuxBoot")]
public class QemuConsoleComparisonTests(ITestOutputHelper output)
{
    [LinuxGuestAndQemuFact]
    public void ConsoleMatchesQemuApartFromReviewedDifferences()
    {
        string commandLine = LinuxGuest.AcpiCommandLine;
        string qemuConsole = QemuMachine.Boot(LinuxGuest.KernelPath, LinuxGuest.InitrdPath, commandLine, JitVirtBoot.QemuRamSize);
        var jitVirt = JitVirtBoot.Run(commandLine);
        Assert.True(qemuConsole.Contains(LinuxGuest.Marker, StringComparison.Ordinal), "QEMU did not reach the marker:\n" + qemuConsole);
        Assert.True(jitVirt.Console.Contains(LinuxGuest.Marker, StringComparison.Ordinal), jitVirt.Describe("JitVirt did not reach the marker"));

        var expected = ConsoleTranscript.From(qemuConsole, ConsoleFilters.All, ConsoleFilters.KernelStart);
        var actual = ConsoleTranscript.From(jitVirt.Console, ConsoleFilters.All, ConsoleFilters.KernelStart);
        var ordered = LineDiff.Compare(expected.Ordered, actual.Ordered);
        var unordered = LineDiff.Compare(expected.Unordered, actual.Unordered);

        output.WriteLine($"QEMU: {expected.Ordered.Count} + {expected.Unordered.Count} unordered lines after filtering; JitVirt: {actual.Ordered.Count} + {actual.Unordered.Count}");
        output.WriteLine("-- differences ('-' QEMU only, '+' JitVirt only):");
        foreach (var d in ordered.Concat(unordered)) output.WriteLine(d.ToString());
        output.WriteLine("-- QEMU, filtered:");
        foreach (string line in expected.Ordered.Concat(expected.Unordered)) output.WriteLine(line);

        Assert.True(ordered.Count == 0 && unordered.Count == 0,
            $"{ordered.Count + unordered.Count} console lines differ from QEMU's ('-' QEMU only, '+' JitVirt only):\n"
            + string.Join('\n', ordered.Concat(unordered)));
    }
}
