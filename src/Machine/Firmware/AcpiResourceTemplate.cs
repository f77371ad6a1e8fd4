namespace JitVirt.Machine.Firmware;

/// <summary>
/// Builds the byte list of an ASL ResourceTemplate: the resource data types of ACPI 6.x §6.4 (small
/// items: IO port, IRQ, end tag; large items: Word and DWord address space descriptors), closed by the
/// end tag. <see cref="ToAml"/> wraps it as the Buffer object a _CRS names.
/// </summary>
public sealed class AcpiResourceTemplate
{
    private const byte IoPortTag = 0x47;            // §6.4.2.5 I/O Port Descriptor: small item 08h, length 7
    private const byte IrqNoFlagsTag = 0x22;        // §6.4.2.1 IRQ Descriptor: small item 04h, length 2
    private const byte EndTag = 0x79;               // §6.4.2.9 End Tag: small item 0Fh, length 1
    private const byte DWordAddressSpaceTag = 0x87; // §6.4.3.5.2 DWord Address Space Descriptor
    private const byte WordAddressSpaceTag = 0x88;  // §6.4.3.5.3 Word Address Space Descriptor
    private const byte IoDecode16 = 0x01;           // I/O Port Descriptor information bit 0: 16-bit decode

    /// <summary>Address space resource types (§6.4.3.5, Table 6.47 byte 3).</summary>
    private const byte MemoryRange = 0, IoRange = 1, BusNumberRange = 2;
    /// <summary>General flags (byte 4): _MIF bit 2, _MAF bit 3; bit 0 clear = producer (a bridge window); bit 1 clear = positive decode.</summary>
    private const byte MinAndMaxFixed = 0x0C;
    /// <summary>I/O type-specific flags: _RNG = 3, the window covers ISA and non-ISA addresses (Table 6.50).</summary>
    private const byte IoEntireRange = 0x03;
    /// <summary>Memory type-specific flags: bit 0 _RW = read/write; bits 2:1 _MEM = 0 non-cacheable, 1 cacheable (Table 6.49).</summary>
    private const byte MemoryReadWrite = 0x01, MemoryCacheable = 0x02;

    private readonly List<byte> _bytes = [];

    /// <summary>IO (Decode16, base, base, alignment, length): a fixed range of I/O ports the device decodes.</summary>
    public AcpiResourceTemplate IoPort(ushort address, byte length, byte alignment = 1)
    {
        _bytes.AddRange([IoPortTag, IoDecode16, (byte)address, (byte)(address >> 8), (byte)address, (byte)(address >> 8), alignment, length]);
        return this;
    }

    /// <summary>IRQNoFlags () { irq }: an edge-triggered, active-high ISA interrupt (the default of the 2-byte form).</summary>
    public AcpiResourceTemplate Irq(int irq)
    {
        if (irq is < 0 or > 15) throw new ArgumentOutOfRangeException(nameof(irq), "the IRQ descriptor names ISA IRQs 0-15");
        ushort mask = (ushort)(1 << irq);
        _bytes.AddRange([IrqNoFlagsTag, (byte)mask, (byte)(mask >> 8)]);
        return this;
    }

    /// <summary>WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode, 0, first, last, 0, count).</summary>
    public AcpiResourceTemplate BusNumberWindow(ushort first, ushort last) => WordWindow(BusNumberRange, 0, first, last);

    /// <summary>WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0, first, last, 0, length).</summary>
    public AcpiResourceTemplate IoWindow(ushort first, ushort last) => WordWindow(IoRange, IoEntireRange, first, last);

    /// <summary>DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, Cacheable|NonCacheable, ReadWrite, 0, first, last, 0, length).</summary>
    public AcpiResourceTemplate MemoryWindow(uint first, uint last, bool cacheable)
    {
        byte typeFlags = (byte)(MemoryReadWrite | (cacheable ? MemoryCacheable : 0));
        _bytes.AddRange([DWordAddressSpaceTag, 23, 0, MemoryRange, MinAndMaxFixed, typeFlags]); // length 23 = bytes after the 3-byte header
        foreach (uint field in (ReadOnlySpan<uint>)[0, first, last, 0, last - first + 1]) _bytes.AddRange(BitConverter.GetBytes(field));
        return this;
    }

    private AcpiResourceTemplate WordWindow(byte type, byte typeFlags, ushort first, ushort last)
    {
        _bytes.AddRange([WordAddressSpaceTag, 13, 0, type, MinAndMaxFixed, typeFlags]); // length 13 = bytes after the 3-byte header
        foreach (ushort field in (ReadOnlySpan<ushort>)[0, first, last, 0, (ushort)(last - first + 1)]) _bytes.AddRange(BitConverter.GetBytes(field));
        return this;
    }

    /// <summary>The descriptors and the end tag (checksum 0: "treated as if the checksum operation yielded 0", §6.4.2.9).</summary>
    public byte[] ToBytes() => [.. _bytes, EndTag, 0];

    /// <summary>The template as an AML Buffer object.</summary>
    public byte[] ToAml() => AmlEncoder.Buffer(ToBytes());
}
