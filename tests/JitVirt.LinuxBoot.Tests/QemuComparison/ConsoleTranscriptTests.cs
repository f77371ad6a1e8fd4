namespace JitVirt.LinuxBoot.Tests.QemuComparison;

/// <summary>The comparison's own machinery, on made-up consoles (fast; no guest, no QEMU).</summary>
public class ConsoleTranscriptTests
{
    private static readonly ConsoleFilterEntry[] Timestamps =
        [ConsoleFilterEntry.Rewrite("ts", @"^\[\s*\d+\.\d+\] ", "", "test")];

    [Fact]
    public void StartsAtTheKernelBannerEvenWhenFirmwareSharesItsLine()
    {
        string console = "\x1Bc\x1B[?7l\x1B[2JSeaBIOS\r\nBooting from ROM...\r\nProbing EDD... ok\x1B[2J[    0.000000] Linux version 6.1\r\n[    0.000001] Command line: x\r\n";
        var transcript = ConsoleTranscript.From(console, Timestamps, ConsoleFilters.KernelStart);
        Assert.Equal(["Linux version 6.1", "Command line: x"], transcript.Ordered);
    }

    [Fact]
    public void NoBannerMeansNoLines()
    {
        var transcript = ConsoleTranscript.From("SeaBIOS\nno kernel here\n", Timestamps, ConsoleFilters.KernelStart);
        Assert.Empty(transcript.Ordered);
    }

    [Fact]
    public void DropRewriteAndUnorderedEntriesApplyInOrder()
    {
        ConsoleFilterEntry[] filters =
        [
            ConsoleFilterEntry.Rewrite("hex", "0x[0-9a-f]+", "0x…", "test"),
            ConsoleFilterEntry.Drop("e820", "^BIOS-e820: ", "test"),
            ConsoleFilterEntry.Unordered("async", "^Freeing initrd", "test"),
        ];
        string console = "Linux version 6.1\nBIOS-e820: [mem 0x0-0x9fbff] usable\nFreeing initrd memory: 1008K\nIOAPIC at 0xfec00000\n";
        var transcript = ConsoleTranscript.From(console, filters, ConsoleFilters.KernelStart);
        Assert.Equal(["Linux version 6.1", "IOAPIC at 0x…"], transcript.Ordered);
        Assert.Equal(["Freeing initrd memory: 1008K"], transcript.Unordered);
    }

    [Fact]
    public void DiffReportsLinesOnEachSideOnly()
    {
        string[] qemu = ["a", "b", "c", "d"];
        string[] jitVirt = ["a", "c", "x", "d"];
        var differences = LineDiff.Compare(qemu, jitVirt);
        Assert.Equal([new LineDifference('-', 1, "b"), new LineDifference('+', 2, "x")], differences);
    }

    [Fact]
    public void IdenticalSequencesHaveNoDifferences() =>
        Assert.Empty(LineDiff.Compare(["a", "b"], ["a", "b"]));

    [Fact]
    public void EveryReviewedEntryCarriesAReason()
    {
        Assert.NotEmpty(ConsoleFilters.All);
        Assert.All(ConsoleFilters.All, entry => Assert.True(entry.Reason.Length >= 20, $"{entry.Name}: the reason must say why the difference is legitimate"));
        Assert.Equal(ConsoleFilters.All.Count, ConsoleFilters.All.Select(e => e.Name).Distinct().Count());
    }

    /// <summary>Lines of the real consoles (QEMU 8.2 and JitVirt, Linux 6.1) that the list must equate, one pair a row.</summary>
    [Theory]
    [InlineData("[    0.000000] IOAPIC[0]: apic_id 0, version 32, address 0xfec00000, GSI 0-23", "[    0.000000] IOAPIC[0]: apic_id 0, version 17, address 0xfec00000, GSI 0-23")]
    [InlineData("[    0.152000] smpboot: CPU0: Intel(R) Core(TM)2 Duo CPU     T7700  @ 2.40GHz (family: 0x6, model: 0xf, stepping: 0xb)", "[    0.101000] smpboot: CPU0: Intel JitVirt x86-64 CPU (Core 2 class) (family: 0x6, model: 0xf, stepping: 0x6)")]
    [InlineData("[    1.000000] 00:03: ttyS0 at I/O 0x3f8 (irq = 4, base_baud = 115200) is a 16550A", "[    1.000000] 00:02: ttyS0 at I/O 0x3f8 (irq = 4, base_baud = 115200) is a 16550A")]
    [InlineData("[    1.2] rtc_cmos 00:04: setting system clock to 2026-11-27T16:34:38 UTC (1795797278)", "[    1.3] rtc_cmos 00:03: setting system clock to 2000-01-01T00:00:05 UTC (946684805)")]
    [InlineData("[    0.1] ACPI: PM: (supports S0 S3 S4 S5)", "[    0.1] ACPI: PM: (supports S0 S5)")]
    [InlineData("[    0.4] pnp: PnP ACPI: found 5 devices", "[    0.3] pnp: PnP ACPI: found 4 devices")]
    [InlineData("[    3.6] JITVIRT-BOOT-OK uptime: 3.65 0.00", "[    2.1] JITVIRT-BOOT-OK uptime: 2.17 0.00")]
    [InlineData("[    0.2] Calibrating delay loop (skipped), value calculated using timer frequency.. 4192.10 BogoMIPS (lpj=8384216)", "[    0.2] Calibrating delay loop (skipped), value calculated using timer frequency.. 1999.98 BogoMIPS (lpj=3999972)")]
    public void ReviewedDifferencesAreEquated(string qemuLine, string jitVirtLine)
    {
        var qemu = ConsoleTranscript.From("[    0.000000] Linux version 6.1\n" + qemuLine, ConsoleFilters.All, ConsoleFilters.KernelStart);
        var jitVirt = ConsoleTranscript.From("[    0.000000] Linux version 6.1\n" + jitVirtLine, ConsoleFilters.All, ConsoleFilters.KernelStart);
        Assert.Equal(qemu.Ordered, jitVirt.Ordered);
    }

    /// <summary>A line only a slow host makes QEMU print (a PCI quirk over 10 ms of host time) is dropped.</summary>
    [Fact]
    public void SlowQuirkReportsAreDropped()
    {
        const string Start = "[    0.000000] Linux version 6.1\n[    0.3] pci 0000:00:00.0: [8086:1237] type 00 class 0x060000\n";
        var qemu = ConsoleTranscript.From(Start + "[    0.3] pci 0000:00:00.0: quirk_natoma+0x0/0x30 took 12003 usecs\n[    0.3] next", ConsoleFilters.All, ConsoleFilters.KernelStart);
        var jitVirt = ConsoleTranscript.From(Start + "[    0.3] next", ConsoleFilters.All, ConsoleFilters.KernelStart);
        Assert.Equal(qemu.Ordered, jitVirt.Ordered);
        Assert.Contains(qemu.Ordered, line => line.Contains("[8086:1237]"));
    }

    /// <summary>And lines that differ in substance stay different.</summary>
    [Theory]
    [InlineData("serio: i8042 AUX port at 0x60,0x64 irq 12", "serio: i8042 KBD port at 0x60,0x64 irq 1")]
    [InlineData("pci_bus 0000:00: root bus resource [mem 0x000a0000-0x000bffff window]", "pci_bus 0000:00: root bus resource [io  0x0d00-0xffff window]")]
    [InlineData("pci 0000:00:01.0: [8086:7000] type 00 class 0x060100", "pci 0000:00:01.0: [8086:7001] type 00 class 0x060100")]
    [InlineData("Kernel panic - not syncing: x", "Run /init as init process")]
    public void SubstantialDifferencesRemain(string qemuLine, string jitVirtLine)
    {
        var qemu = ConsoleTranscript.From("Linux version 6.1\n" + qemuLine, ConsoleFilters.All, ConsoleFilters.KernelStart);
        var jitVirt = ConsoleTranscript.From("Linux version 6.1\n" + jitVirtLine, ConsoleFilters.All, ConsoleFilters.KernelStart);
        Assert.NotEmpty(LineDiff.Compare(qemu.Ordered, jitVirt.Ordered));
    }
}
