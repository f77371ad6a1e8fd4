using System.Buffers.Binary;

namespace JitVirt.Machine.Firmware;

/// <summary>Generic Address Structure, 12 bytes (ACPI 6.x §5.2.3.2 Table 5.1).</summary>
public readonly record struct AcpiGenericAddress(byte AddressSpaceId, byte BitWidth, byte BitOffset, byte AccessSize, ulong Address)
{
    public const int Size = 12;
    public const byte SystemMemorySpace = 0;   // Table 5.1 Address Space ID 0
    public const byte SystemIoSpace = 1;       // Table 5.1 Address Space ID 1
    public const byte AccessByte = 1;          // Table 5.1 Access Size 1..4 = byte..qword
    public const byte AccessWord = 2;
    public const byte AccessDword = 3;

    public static AcpiGenericAddress Io(ushort port, byte bitWidth, byte accessSize) =>
        new(SystemIoSpace, bitWidth, 0, accessSize, port);

    public void Write(Span<byte> destination)
    {
        destination[0] = AddressSpaceId;
        destination[1] = BitWidth;
        destination[2] = BitOffset;
        destination[3] = AccessSize;
        BinaryPrimitives.WriteUInt64LittleEndian(destination[4..], Address);
    }
}
