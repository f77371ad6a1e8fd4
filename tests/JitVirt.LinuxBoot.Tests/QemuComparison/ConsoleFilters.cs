namespace JitVirt.LinuxBoot.Tests.QemuComparison;

/// <summary>
/// THE reviewed list of differences between QEMU's and JitVirt's console for the same kernel and command
/// line (issue 11, acceptance 2). Every entry says why the difference is legitimate: a timing, an address,
/// a name of emulated hardware or firmware, or something QEMU's firmware or chipset has that a machine
/// without it legitimately lacks. Differences that are gaps of JitVirt are fixed in JitVirt instead (see
/// git log of src/Machine/Firmware and src/Machine/Devices); what is left as a gap says so in its reason.
/// Entries apply in order, so a later entry sees the text earlier rewrites produced (addresses as 0x…).
/// </summary>
public static class ConsoleFilters
{
    /// <summary>
    /// The comparison starts at the kernel's banner: before it QEMU's console shows SeaBIOS and the Linux
    /// real-mode setup code (JitVirt enters the kernel's 64-bit entry directly, with no BIOS), and the
    /// terminal control sequences SeaBIOS writes.
    /// </summary>
    public const string KernelStart = "Linux version ";

    public static IReadOnlyList<ConsoleFilterEntry> All { get; } =
    [
        // ---------------------------------------------------------------- timings
        ConsoleFilterEntry.Rewrite("printk timestamp", @"^\[\s*\d+\.\d+\] ", "",
            "printk's [seconds.micros] prefix is the guest's clock: wall-time based under QEMU, virtual under JitVirt."),
        ConsoleFilterEntry.Rewrite("uptime", @"(?<=uptime: )\d+\.\d+ \d+\.\d+", "U",
            "/init prints /proc/uptime: how long the boot took in guest time."),
        ConsoleFilterEntry.Rewrite("TSC and delay-loop figures", @"(?<=(Detected |calibration: ))\d+\.\d+ MHz|\d+\.\d+ BogoMIPS|lpj=\d+|max_cycles: 0x[0-9a-f]+|max_idle_ns: \d+", "N",
            "QEMU TCG's TSC follows host time (GHz of the host CPU); JitVirt's follows its virtual clock, 1 GHz exactly. Everything derived from the TSC rate follows."),
        ConsoleFilterEntry.Drop("TSC calibration path", @"^tsc: (Fast TSC calibration|Unable to calibrate against PIT|using \w+ reference calibration|Detected \S+ processor|Marking TSC unstable)",
            "Which calibration succeeds depends on the guest's speed against the timer it reads: under QEMU TCG the PIT counts host time while the guest's code runs far slower than hardware, so the fast PIT calibration fails and the kernel falls back to a reference timer; JitVirt's PIT and TSC share one virtual clock."),
        ConsoleFilterEntry.Drop("clocksource watchdog", @"^clocksource: (timekeeping watchdog|\s+'|\s+No current clocksource)|^Unstable clock detected|^If you want to keep using the local clock|^\s+""trace_clock=local""|^on the kernel command line$",
            "The clocksource watchdog compares the TSC with jiffies; under QEMU TCG on a loaded host the two drift apart and the kernel marks the TSC unstable. A host-load effect of QEMU, absent on JitVirt's single virtual clock."),
        ConsoleFilterEntry.Drop("clocksource switches", @"^clocksource: Switched to clocksource |^sched_clock: Marking stable|^tsc: Refined TSC clocksource calibration|^clocksource: tsc: mask",
            "Which clocksource the kernel settles on, and when, follows the watchdog and calibration above: once the watchdog has marked the TSC unstable (QEMU on a loaded host) there is no refinement and no switch to it."),
        ConsoleFilterEntry.Drop("slow PCI quirks", @"^pci \S+: \S+ took \d+ usecs$",
            "Linux reports a PCI fixup that took longer than 10 ms (drivers/pci/quirks.c, do_one_fixup_debug). Under QEMU TCG on a loaded host, host time runs on while the guest is slow, so a quirk such as quirk_natoma can cross the 10 ms line; JitVirt's virtual clock does not follow host load."),
        ConsoleFilterEntry.Drop("APIC timer against PM timer", @"^APIC (calibration not consistent with PM-Timer|delta adjusted to PM-Timer)",
            "The local APIC timer calibration is checked against the ACPI PM timer; under QEMU TCG the two run on host time while the guest is slow, so the 100 ms window measures long."),
        ConsoleFilterEntry.Rewrite("wall-clock dates", @"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d UTC \(\d+\)|audit\(\d+\.\d+:", "DATE",
            "The RTC: QEMU starts it at the host's date, JitVirt's deterministic machine at 2000-01-01."),
        ConsoleFilterEntry.Unordered("asynchronous lines", @"^(audit: type=2000 |Freeing initrd memory: )",
            "Printed by another thread (kauditd, the async initramfs unpacker): where they fall among the other lines depends on timing."),
        ConsoleFilterEntry.Rewrite("input device numbers", @"(?<=/input/input)\d+", "N",
            "input device numbers count registrations in probe order, which is asynchronous."),

        // ---------------------------------------------------------------- addresses and the memory map
        ConsoleFilterEntry.Drop("64-bit PCI window", @"^pci_bus 0000:00: (root bus )?resource (\d+ )?\[mem 0x[0-9a-f]{9,}-0x[0-9a-f]+ window\]",
            "QEMU's host bridge forwards a 64-bit memory window above 4 GiB for hot-plugged devices with 64-bit BARs; JitVirt places every BAR below 4 GiB (PciResourceAssigner) and has no hot-plug, so its _CRS has the 32-bit windows only. Matched before addresses are normalised."),
        ConsoleFilterEntry.Rewrite("hexadecimal addresses", @"0x[0-9a-fA-F]+", "0x…",
            "Physical addresses and sizes follow the firmware's memory layout: SeaBIOS keeps the top 128 KiB of RAM for its tables and puts the RSDP at F5xxxh; JitVirt's loader puts its ACPI tables at E0000h."),
        ConsoleFilterEntry.Drop("firmware memory map", @"^BIOS-e820: ",
            "The E820 map is the firmware's: SeaBIOS reserves F0000h-FFFFFh, the top 128 KiB of RAM and its ROM at FFFC0000h; JitVirt's map names its ACPI tables and the APIC pages."),
        ConsoleFilterEntry.Drop("page counts from the memory map", @"^Built 1 zonelists, mobility grouping on\.\s+Total pages: |^Memory: \d+K/\d+K available|^On node 0, zone DMA32: \d+ pages in unavailable ranges",
            "Usable page counts follow from the E820 map above (SeaBIOS's 128 KiB at the top of RAM)."),

        // ---------------------------------------------------------------- firmware: its tables and their names
        ConsoleFilterEntry.Drop("ACPI table list", @"^ACPI: (RSDP|RSDT|XSDT|FACP|DSDT|FACS|APIC|HPET|WAET|MCFG|SSDT) 0x|^ACPI: Reserving \w{4} table memory",
            "Each firmware has its own table set, OEM IDs (BOCHS/BXPC vs JITVRT/JVRT), revisions (QEMU: ACPI 1.0 RSDT; JitVirt: ACPI 6 XSDT) and layout. WAET is an optimisation hint for Windows on QEMU's emulated timers."),
        ConsoleFilterEntry.Drop("SMBIOS/DMI", @"^SMBIOS \d+\.\d+ present\.|^DMI: |^DMI not present or invalid\.",
            "SMBIOS is firmware inventory text (vendor, product, BIOS version); JitVirt's firmware provides none. Listed as missing in the report, not a hardware behaviour."),
        ConsoleFilterEntry.Drop("MP table", @"^found SMP MP-table at ",
            "SeaBIOS also writes a legacy Intel MP table; with ACPI in use Linux takes the MADT, so JitVirt provides only the MADT."),
        ConsoleFilterEntry.Rewrite("sleep states", @"(?<=supports S0) S3 S4(?= S5)", "",
            "QEMU's DSDT offers S3 and S4; JitVirt implements only soft-off (S5), so its DSDT offers S0 and S5 only."),
        ConsoleFilterEntry.Drop("RTC wake from S4", @"^rtc_cmos \S+: RTC can wake from S4",
            "Printed when the FADT's RTC_S4 flag is set; JitVirt has no S4."),
        ConsoleFilterEntry.Drop("ACPI GPE methods", @"^ACPI: Enabled \d+ GPEs in block",
            "QEMU's DSDT has GPE methods for its PCI and CPU hot-plug controllers; JitVirt has no hot-plug."),
        ConsoleFilterEntry.Drop("PCI hot-plug slots", @"^acpiphp: Slot \[\d+\] registered",
            "QEMU's DSDT declares its ACPI PCI hot-plug slots; JitVirt has no hot-plug controller."),
        ConsoleFilterEntry.Drop("PCI interrupt links", @"^ACPI: PCI: Interrupt link LNK\w configured for IRQ \d+|^ACPI: INT_SRC_OVR \(bus 0 bus_irq (5|10|11) global_irq \1 high level\)",
            "QEMU routes PCI INTx through PIIX3 PIRQ link devices to IRQ 5/9/10/11 (level, active high in its MADT). JitVirt's default machine has no PCI function with an interrupt pin, so it declares no links. A gap if a PCI device with INTx is added."),
        ConsoleFilterEntry.Rewrite("PnP device count", @"(?<=^pnp: PnP ACPI: found )\d+(?= devices$)", "N",
            "QEMU's DSDT also declares the floppy controller (PNP0700) of its PIIX3; JitVirt has no floppy controller. Its DSDT declares the keyboard controller, the PS/2 mouse port, COM1 and the RTC, as QEMU's does."),
        ConsoleFilterEntry.Rewrite("PnP device numbers", @"(?<![0-9a-f:])00:0[0-9a-f](?=[: ])", "00:NN",
            "ACPI PnP devices are numbered in namespace order; QEMU's DSDT declares the floppy controller JitVirt lacks before COM1 and the RTC."),
        ConsoleFilterEntry.Rewrite("RTC NVRAM size", @"\d+ bytes nvram", "N bytes nvram",
            "QEMU's DSDT gives the RTC ports 70h-77h, so Linux assumes a second 128-byte CMOS bank; JitVirt's MC146818 decodes 70h-71h, one 128-byte bank."),

        // ---------------------------------------------------------------- names of the emulated hardware
        ConsoleFilterEntry.Rewrite("CPU model", @"^smpboot: CPU0: .* \(family: 0x…, model: 0x…, stepping: 0x…\)", "smpboot: CPU0: MODEL",
            "The brand string and stepping: QEMU's core2duo is a Core 2 Duo T7700 (stepping 11), JitVirt's model a Core 2 class stepping 6."),
        ConsoleFilterEntry.Rewrite("microcode signature", @"(?<=^microcode: )sig=0x…, pf=0x…, revision=0x…", "SIGNATURE",
            "The CPUID signature (stepping) and the microcode revision MSR each model reports."),
        ConsoleFilterEntry.Rewrite("I/O APIC version", @"(?<=^IOAPIC\[0\]: apic_id 0, version )\d+", "V",
            "JitVirt emulates the 82093AA (version 11h, its datasheet); QEMU's I/O APIC reports version 20h."),
        ConsoleFilterEntry.Drop("VGA text console", @"^Console: colour ",
            "The text console follows the video mode the real-mode setup code finds through the BIOS (SeaBIOS reports CGA text even with no VGA); JitVirt has no display and no BIOS."),
        ConsoleFilterEntry.Drop("PCI functions JitVirt does not have", @"^pci 0000:00:01\.[13]: ",
            "00:01.1 is PIIX3's IDE controller (JitVirt has no disk: it boots -kernel/-initrd) and 00:01.3 PIIX4's power-management function (JitVirt's ACPI PM block is at fixed ports, not behind a PCI function)."),
    ];
}
