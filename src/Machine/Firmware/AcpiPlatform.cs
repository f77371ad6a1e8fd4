using JitVirt.Machine.Devices.Acpi;
using JitVirt.Machine.Devices.Apic;
using JitVirt.Machine.Devices.IoApic;

namespace JitVirt.Machine.Firmware;

/// <summary>What the ACPI tables describe: where the fixed hardware and interrupt controllers sit.</summary>
public sealed record AcpiPlatform
{
    public IReadOnlyList<byte> ProcessorApicIds { get; init; } = [0];
    public ulong LocalApicAddress { get; init; } = ApicBaseMsr.DefaultBase;
    public ulong IoApicAddress { get; init; } = IoApicRegister.DefaultBase;
    public byte IoApicId { get; init; }
    public ushort PmBase { get; init; } = AcpiPmRegisters.DefaultBase;
    /// <summary>SCI on ISA IRQ 9, level / active high, like PIIX4 (ACPI 6.x §5.2.9 SCI_INT).</summary>
    public ushort SciIrq { get; init; } = 9;
    /// <summary>Reset register: I/O port 0xCF9 (PIIX reset control), value 0x06 = full CPU reset.</summary>
    public ushort ResetPort { get; init; } = 0xCF9;
    public byte ResetValue { get; init; } = 0x06;
    /// <summary>CMOS index of the RTC century byte (0x32 on PC-compatible RTCs).</summary>
    public byte RtcCenturyIndex { get; init; } = 0x32;
    public byte S5SleepType { get; init; } = AcpiSleepType.S5;
    /// <summary>PCI device number of the PIIX3 PCI-to-ISA bridge (function 0), behind which the DSDT puts the ISA devices.</summary>
    public byte IsaBridgeDevice { get; init; } = 1;
    /// <summary>The 32-bit PCI memory window the host bridge forwards: [start, end).</summary>
    public ulong PciMemoryStart { get; init; } = PciResourceAssigner.DefaultMemoryStart;
    public ulong PciMemoryEnd { get; init; } = PciResourceAssigner.DefaultMemoryEnd;
}
