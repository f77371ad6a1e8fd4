using System.Buffers.Binary;

namespace JitVirt.Machine.Firmware;

/// <summary>The 36-byte System Description Table header (ACPI 6.x §5.2.6 Table 5.4).</summary>
public static class AcpiTableHeader
{
    public const int Size = 36;
    public const int LengthOffset = 4;
    public const int RevisionOffset = 8;
    public const int ChecksumOffset = 9;

    public const string OemId = "JITVRT";          // 6 bytes
    public const string CreatorId = "JVRT";        // 4 bytes
    public const uint OemRevision = 1;
    public const uint CreatorRevision = 1;

    public static void Write(Span<byte> table, string signature, int length, byte revision, string oemTableId)
    {
        table[..Size].Clear();
        WriteAscii(table[..4], signature);
        BinaryPrimitives.WriteUInt32LittleEndian(table[LengthOffset..], (uint)length);
        table[RevisionOffset] = revision;
        WriteAscii(table.Slice(10, 6), OemId);
        WriteAscii(table.Slice(16, 8), oemTableId);
        BinaryPrimitives.WriteUInt32LittleEndian(table[24..], OemRevision);
        WriteAscii(table.Slice(28, 4), CreatorId);
        BinaryPrimitives.WriteUInt32LittleEndian(table[32..], CreatorRevision);
    }

    /// <summary>Checksum over the whole table, as the header's Length says (ACPI 6.x §5.2.6).</summary>
    public static void FixChecksum(Span<byte> table) => AcpiChecksum.Fix(table, ChecksumOffset);

    /// <summary>ASCII padded with spaces, as OEM IDs customarily are.</summary>
    public static void WriteAscii(Span<byte> destination, string text)
    {
        destination.Fill((byte)' ');
        for (int i = 0; i < text.Length && i < destination.Length; i++) destination[i] = (byte)text[i];
    }
}
