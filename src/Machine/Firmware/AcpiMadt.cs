using System.Buffers.Binary;

namespace JitVirt.Machine.Firmware;

/// <summary>
/// Multiple APIC Description Table (ACPI 6.x §5.2.12 Table 5.43): local APIC address with
/// PCAT_COMPAT, one Processor Local APIC entry per CPU, the I/O APIC at GSI base 0, the two ISA
/// overrides a PIIX platform needs (IRQ0 → GSI2; SCI level / active high) and LINT1 as NMI.
/// </summary>
public static class AcpiMadt
{
    public const byte Revision = 4;
    public const uint FlagPcatCompat = 1;           // Table 5.44: dual 8259s installed

    // Interrupt controller structure types and lengths (Table 5.45 and §5.2.12.2–§5.2.12.7).
    public const byte TypeProcessorLocalApic = 0;
    public const byte TypeIoApic = 1;
    public const byte TypeInterruptSourceOverride = 2;
    public const byte TypeLocalApicNmi = 4;
    public const int ProcessorLocalApicLength = 8;
    public const int IoApicLength = 12;
    public const int InterruptSourceOverrideLength = 10;
    public const int LocalApicNmiLength = 6;

    public const uint LocalApicEnabled = 1;         // Table 5.47 Enabled flag

    // MPS INTI flags (Table 5.50): polarity bits 1:0, trigger mode bits 3:2.
    public const ushort IntiConforms = 0;
    public const ushort IntiActiveHigh = 0b01;
    public const ushort IntiLevelTriggered = 0b11 << 2;

    public const byte IsaBus = 0;
    public const byte TimerIrq = 0;
    public const uint TimerGsi = 2;
    public const byte AllProcessors = 0xFF;
    public const byte Lint1 = 1;

    public static int Length(AcpiPlatform platform) =>
        AcpiTableHeader.Size + 8 + platform.ProcessorApicIds.Count * ProcessorLocalApicLength
        + IoApicLength + 2 * InterruptSourceOverrideLength + LocalApicNmiLength;

    public static int Write(Span<byte> table, AcpiPlatform platform)
    {
        int length = Length(platform);
        AcpiTableHeader.Write(table, "APIC", length, Revision, "JVRTAPIC");
        BinaryPrimitives.WriteUInt32LittleEndian(table[36..], checked((uint)platform.LocalApicAddress));
        BinaryPrimitives.WriteUInt32LittleEndian(table[40..], FlagPcatCompat);
        int at = AcpiTableHeader.Size + 8;
        for (int i = 0; i < platform.ProcessorApicIds.Count; i++)
            at += WriteProcessorLocalApic(table[at..], (byte)i, platform.ProcessorApicIds[i]);
        at += WriteIoApic(table[at..], platform.IoApicId, (uint)platform.IoApicAddress, 0);
        at += WriteOverride(table[at..], TimerIrq, TimerGsi, IntiConforms);
        at += WriteOverride(table[at..], (byte)platform.SciIrq, platform.SciIrq, IntiActiveHigh | IntiLevelTriggered);
        WriteLocalApicNmi(table[at..], AllProcessors, IntiConforms, Lint1);
        AcpiTableHeader.FixChecksum(table[..length]);
        return length;
    }

    private static int WriteProcessorLocalApic(Span<byte> entry, byte processorUid, byte apicId)
    {
        entry[0] = TypeProcessorLocalApic;
        entry[1] = ProcessorLocalApicLength;
        entry[2] = processorUid;
        entry[3] = apicId;
        BinaryPrimitives.WriteUInt32LittleEndian(entry[4..], LocalApicEnabled);
        return ProcessorLocalApicLength;
    }

    private static int WriteIoApic(Span<byte> entry, byte id, uint address, uint gsiBase)
    {
        entry[0] = TypeIoApic;
        entry[1] = IoApicLength;
        entry[2] = id;
        entry[3] = 0;
        BinaryPrimitives.WriteUInt32LittleEndian(entry[4..], address);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[8..], gsiBase);
        return IoApicLength;
    }

    private static int WriteOverride(Span<byte> entry, byte source, uint gsi, ushort flags)
    {
        entry[0] = TypeInterruptSourceOverride;
        entry[1] = InterruptSourceOverrideLength;
        entry[2] = IsaBus;
        entry[3] = source;
        BinaryPrimitives.WriteUInt32LittleEndian(entry[4..], gsi);
        BinaryPrimitives.WriteUInt16LittleEndian(entry[8..], flags);
        return InterruptSourceOverrideLength;
    }

    private static void WriteLocalApicNmi(Span<byte> entry, byte processorUid, ushort flags, byte lint)
    {
        entry[0] = TypeLocalApicNmi;
        entry[1] = LocalApicNmiLength;
        entry[2] = processorUid;
        BinaryPrimitives.WriteUInt16LittleEndian(entry[3..], flags);
        entry[5] = lint;
    }
}
