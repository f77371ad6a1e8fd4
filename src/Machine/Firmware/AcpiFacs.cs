using System.Buffers.Binary;

namespace JitVirt.Machine.Firmware;

/// <summary>
/// Firmware ACPI Control Structure (ACPI 6.x §5.2.10 Table 5.14): 64 bytes, 64-byte aligned, no checksum.
/// Required whenever the platform is not hardware-reduced.
/// </summary>
public static class AcpiFacs
{
    public const int Size = 64;
    public const int Alignment = 64;
    public const byte Version = 2;

    public static int Write(Span<byte> facs)
    {
        facs[..Size].Clear();
        "FACS"u8.CopyTo(facs);
        BinaryPrimitives.WriteUInt32LittleEndian(facs[4..], Size);
        facs[32] = Version;   // offset 32: Version
        return Size;
    }
}
