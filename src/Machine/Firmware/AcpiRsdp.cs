using System.Buffers.Binary;

namespace JitVirt.Machine.Firmware;

/// <summary>Root System Description Pointer, ACPI 2.0+ form (ACPI 6.x §5.2.5.3 Table 5.3).</summary>
public static class AcpiRsdp
{
    public const int Size = 36;
    public const int Revision = 2;
    public const int ChecksumLength = 20;      // checksum covers the ACPI 1.0 part, bytes 0–19
    public const int ChecksumOffset = 8;
    public const int ExtendedChecksumOffset = 32;

    /// <summary>The RSDP lives on a 16-byte boundary in 0xE0000–0xFFFFF (ACPI 6.x §5.2.5.1).</summary>
    public const ulong SearchStart = 0xE0000;
    public const ulong SearchEnd = 0x100000;
    public const int Alignment = 16;

    public static ReadOnlySpan<byte> Signature => "RSD PTR "u8;

    public static void Write(Span<byte> rsdp, uint rsdtAddress, ulong xsdtAddress)
    {
        rsdp[..Size].Clear();
        Signature.CopyTo(rsdp);
        AcpiTableHeader.WriteAscii(rsdp.Slice(9, 6), AcpiTableHeader.OemId);
        rsdp[15] = Revision;
        BinaryPrimitives.WriteUInt32LittleEndian(rsdp[16..], rsdtAddress);
        BinaryPrimitives.WriteUInt32LittleEndian(rsdp[20..], Size);
        BinaryPrimitives.WriteUInt64LittleEndian(rsdp[24..], xsdtAddress);
        AcpiChecksum.Fix(rsdp[..ChecksumLength], ChecksumOffset);
        AcpiChecksum.Fix(rsdp[..Size], ExtendedChecksumOffset);
    }

    public static bool IsValidLocation(ulong address) =>
        address >= SearchStart && address + Size <= SearchEnd && address % Alignment == 0;
}
