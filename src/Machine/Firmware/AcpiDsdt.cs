using JitVirt.Machine.Devices.Keyboard;
using JitVirt.Machine.Devices.Pci;
using JitVirt.Machine.Devices.Rtc;
using JitVirt.Machine.Devices.Serial;
using static JitVirt.Machine.Firmware.AmlEncoder;

namespace JitVirt.Machine.Firmware;

/// <summary>
/// Differentiated System Description Table with hand-assembled AML. It holds
/// <c>Name (_S5_, Package (4) { SLP_TYPa, SLP_TYPb, 0, 0 })</c>, which an OS needs to enter soft-off,
/// and the device tree a PC firmware describes (ACPI 6.x §6.1, §6.2): the PCI root bridge
/// <c>\_SB.PCI0</c> (PNP0A03) with the bus, I/O and memory windows it forwards, and behind the PIIX3
/// ISA bridge the fixed ISA devices with their ports and IRQs (keyboard controller PNP0303 and its
/// mouse port PNP0F13, COM1 PNP0501, RTC PNP0B00). Without the root bridge an ACPI OS scans no PCI bus
/// at all; without the ISA devices it falls back to probing them blind.
/// Departures: no _PRT or interrupt link devices (no PCI function of the default machine uses INTx),
/// no _OSC, no hot-plug, no _S3_/_S4_ (JitVirt implements soft-off only).
/// </summary>
public static class AcpiDsdt
{
    public const byte Revision = 2;               // revision 2+: 64-bit AML integers (ACPI 6.x §5.2.11.1)

    public static byte[] BuildAml(AcpiPlatform platform) =>
    [
        .. Name("_S5_", Package(Integer(platform.S5SleepType), Integer(platform.S5SleepType), Integer(0), Integer(0))),
        .. Scope("\\_SB", PciRootBridge(platform)),
    ];

    public static int Length(AcpiPlatform platform) => AcpiTableHeader.Size + BuildAml(platform).Length;

    public static int Write(Span<byte> table, AcpiPlatform platform)
    {
        byte[] aml = BuildAml(platform);
        int length = AcpiTableHeader.Size + aml.Length;
        AcpiTableHeader.Write(table, "DSDT", length, Revision, "JVRTDSDT");
        aml.CopyTo(table[AcpiTableHeader.Size..]);
        AcpiTableHeader.FixChecksum(table[..length]);
        return length;
    }

    /// <summary>
    /// The host bridge's _CRS: buses 0-FFh, the configuration ports it claims (CF8h-CFFh, mechanism #1), I/O
    /// below and above them, the legacy VGA window A0000h-BFFFFh and the 32-bit PCI memory window — the
    /// windows QEMU's i440FX DSDT declares, with JitVirt's memory window (<see cref="PciResourceAssigner"/>).
    /// </summary>
    private static byte[] PciRootBridge(AcpiPlatform platform)
    {
        const byte ConfigPorts = 8; // CONFIG_ADDRESS CF8h-CFBh and CONFIG_DATA CFCh-CFFh (PCI Local Bus 3.0 §3.2.2.3.2)
        var resources = new AcpiResourceTemplate()
            .BusNumberWindow(0, 0xFF)
            .IoPort(PciConfigMechanism1.AddressPort, ConfigPorts)
            .IoWindow(0x0000, PciConfigMechanism1.AddressPort - 1)
            .IoWindow(PciConfigMechanism1.AddressPort + ConfigPorts, 0xFFFF)
            .MemoryWindow(0xA_0000, 0xB_FFFF, cacheable: true)
            .MemoryWindow(checked((uint)platform.PciMemoryStart), checked((uint)(platform.PciMemoryEnd - 1)), cacheable: false);
        return Device("PCI0",
            Name("_HID", EisaId("PNP0A03")),      // PCI bus (ACPI 6.x §6.1.5; PCI Firmware 3.2 §4.3.1)
            Name("_ADR", Integer(0)),
            Name("_UID", Integer(0)),
            Name("_CRS", resources.ToAml()),
            IsaBridge(platform));
    }

    /// <summary>The PIIX3 function 0 (_ADR: device in bits 31:16, function in 15:0, §6.1.1) and the ISA devices behind it.</summary>
    private static byte[] IsaBridge(AcpiPlatform platform) => Device("ISA",
        Name("_ADR", Integer((ulong)platform.IsaBridgeDevice << 16)),
        Device("KBD",
            Name("_HID", EisaId("PNP0303")),      // IBM enhanced keyboard (101/102-key, PS/2 mouse support)
            Name("_CRS", new AcpiResourceTemplate()
                .IoPort(I8042Controller.DataPort, 1)
                .IoPort(I8042Controller.CommandPort, 1)
                .Irq(I8042Controller.Irq).ToAml())),
        Device("MOU",
            Name("_HID", EisaId("PNP0F13")),      // PS/2 port for PS/2-style mice
            Name("_CRS", new AcpiResourceTemplate().Irq(I8042Controller.AuxIrq).ToAml())),
        Device("COM1",
            Name("_HID", EisaId("PNP0501")),      // 16550A-compatible COM port
            Name("_UID", Integer(1)),
            Name("_CRS", new AcpiResourceTemplate().IoPort(Uart16550.Com1Base, 8).Irq(Uart16550.Com1Irq).ToAml())),
        Device("RTC",
            Name("_HID", EisaId("PNP0B00")),      // AT real-time clock
            Name("_CRS", new AcpiResourceTemplate().IoPort(Mc146818Rtc.IndexPort, 2).Irq(Mc146818Rtc.Irq).ToAml())));
}
