using System.Buffers.Binary;

namespace JitVirt.Machine.Firmware;

/// <summary>RSDT (32-bit entries, ACPI 6.x §5.2.7) and XSDT (64-bit entries, ACPI 6.x §5.2.8).</summary>
public static class AcpiRootTables
{
    public const byte Revision = 1;   // RSDT and XSDT revision 1 (§5.2.7 Table 5.5, §5.2.8 Table 5.6)

    public static int RsdtLength(int entries) => AcpiTableHeader.Size + entries * 4;

    public static int XsdtLength(int entries) => AcpiTableHeader.Size + entries * 8;

    public static int WriteRsdt(Span<byte> table, ReadOnlySpan<ulong> entries)
    {
        int length = RsdtLength(entries.Length);
        AcpiTableHeader.Write(table, "RSDT", length, Revision, "JVRTRSDT");
        for (int i = 0; i < entries.Length; i++)
            BinaryPrimitives.WriteUInt32LittleEndian(table[(AcpiTableHeader.Size + i * 4)..], checked((uint)entries[i]));
        AcpiTableHeader.FixChecksum(table[..length]);
        return length;
    }

    public static int WriteXsdt(Span<byte> table, ReadOnlySpan<ulong> entries)
    {
        int length = XsdtLength(entries.Length);
        AcpiTableHeader.Write(table, "XSDT", length, Revision, "JVRTXSDT");
        for (int i = 0; i < entries.Length; i++)
            BinaryPrimitives.WriteUInt64LittleEndian(table[(AcpiTableHeader.Size + i * 8)..], entries[i]);
        AcpiTableHeader.FixChecksum(table[..length]);
        return length;
    }
}
