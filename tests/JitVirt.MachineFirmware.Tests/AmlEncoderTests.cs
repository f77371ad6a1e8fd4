using System.Buffers.Binary;
using System.Text;
using JitVirt.Machine.Firmware;

namespace JitVirt.MachineFirmware.Tests;

/// <summary>
/// The DSDT's AML and resource templates, checked against encodings worked out by hand from the ACPI 6.x
/// specification (§20.2 AML grammar, §6.4 resource data types) and against values Linux and iasl use.
/// </summary>
public sealed class AmlEncoderTests
{
    [Theory]
    [InlineData(0, new byte[] { 0x01 })]
    [InlineData(62, new byte[] { 0x3F })]                 // 62 + 1 = 63: the largest one-byte PkgLength
    [InlineData(63, new byte[] { 0x41, 0x04 })]           // 63 + 2 = 65 = 0x041: lead nibble 1, next byte 0x04
    [InlineData(0x123, new byte[] { 0x45, 0x12 })]        // 0x123 + 2 = 0x125
    [InlineData(4093, new byte[] { 0x4F, 0xFF })]         // 4093 + 2 = 0xFFF: the largest two-byte PkgLength
    [InlineData(4094, new byte[] { 0x81, 0x00, 0x01 })]   // 4094 + 3 = 0x1001
    public void PkgLengthCountsItselfAndSplitsNibbleThenBytes(int content, byte[] expected) =>
        Assert.Equal(expected, AmlEncoder.PkgLength(content));

    [Theory]
    [InlineData("PNP0A03", 0x030AD041u)] // the _HID Linux's ACPI tables show as 0x030AD041 for a PCI root bridge
    [InlineData("PNP0303", 0x0303D041u)]
    [InlineData("PNP0501", 0x0105D041u)]
    [InlineData("PNP0B00", 0x000BD041u)]
    [InlineData("PNP0F13", 0x130FD041u)]
    public void EisaIdIsTheCompressedIdAsADWordConstant(string id, uint dword)
    {
        byte[] aml = AmlEncoder.EisaId(id);
        Assert.Equal(0x0C, aml[0]); // DWordPrefix
        Assert.Equal(dword, BinaryPrimitives.ReadUInt32LittleEndian(aml.AsSpan(1)));
    }

    [Theory]
    [InlineData(0ul, new byte[] { 0x00 })]
    [InlineData(1ul, new byte[] { 0x01 })]
    [InlineData(5ul, new byte[] { 0x0A, 0x05 })]
    [InlineData(0x10000ul, new byte[] { 0x0C, 0x00, 0x00, 0x01, 0x00 })]
    public void IntegersTakeTheShortestForm(ulong value, byte[] expected) => Assert.Equal(expected, AmlEncoder.Integer(value));

    [Fact]
    public void NameWithRootedAndPaddedSegments()
    {
        Assert.Equal("\\_SB_"u8.ToArray(), AmlEncoder.NameString("\\_SB"));
        // Name (_HID, EisaId ("PNP0A03")): NameOp, "_HID", DWordPrefix, 41 D0 0A 03.
        Assert.Equal(new byte[] { 0x08, (byte)'_', (byte)'H', (byte)'I', (byte)'D', 0x0C, 0x41, 0xD0, 0x0A, 0x03 },
            AmlEncoder.Name("_HID", AmlEncoder.EisaId("PNP0A03")));
    }

    [Fact]
    public void DeviceIsExtendedOpcodeWithPackageLength()
    {
        // Device (RTC) { Name (_UID, One) }: 5B 82, PkgLength = 1 + 4 + 6 = 11, "RTC_", 08 "_UID" 01.
        byte[] expected = [0x5B, 0x82, 0x0B, (byte)'R', (byte)'T', (byte)'C', (byte)'_', 0x08, (byte)'_', (byte)'U', (byte)'I', (byte)'D', 0x01];
        Assert.Equal(expected, AmlEncoder.Device("RTC", AmlEncoder.Name("_UID", AmlEncoder.Integer(1))));
    }

    [Fact]
    public void ResourceTemplateSmallItems()
    {
        // IO (Decode16, 0x03F8, 0x03F8, 0x01, 0x08), IRQNoFlags () {4}, end tag: §6.4.2.5, §6.4.2.1, §6.4.2.9.
        byte[] bytes = new AcpiResourceTemplate().IoPort(0x3F8, 8).Irq(4).ToBytes();
        Assert.Equal(new byte[] { 0x47, 0x01, 0xF8, 0x03, 0xF8, 0x03, 0x01, 0x08, 0x22, 0x10, 0x00, 0x79, 0x00 }, bytes);
    }

    [Fact]
    public void ResourceTemplateAddressSpaceWindows()
    {
        // WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode, 0, 0, 0xFF, 0, 0x100): §6.4.3.5.3.
        byte[] bus = new AcpiResourceTemplate().BusNumberWindow(0, 0xFF).ToBytes();
        Assert.Equal(new byte[] { 0x88, 0x0D, 0x00, 0x02, 0x0C, 0x00, 0, 0, 0, 0, 0xFF, 0, 0, 0, 0x00, 0x01, 0x79, 0 }, bus);
        // DWordMemory (..., NonCacheable, ReadWrite, 0, 0xE0000000, 0xFEBFFFFF, 0, 0x1EC00000): §6.4.3.5.2.
        byte[] memory = new AcpiResourceTemplate().MemoryWindow(0xE000_0000, 0xFEBF_FFFF, cacheable: false).ToBytes();
        Assert.Equal(26 + 2, memory.Length);
        Assert.Equal(new byte[] { 0x87, 0x17, 0x00, 0x00, 0x0C, 0x01 }, memory[..6]);
        Assert.Equal(0xE000_0000u, BinaryPrimitives.ReadUInt32LittleEndian(memory.AsSpan(10)));
        Assert.Equal(0xFEBF_FFFFu, BinaryPrimitives.ReadUInt32LittleEndian(memory.AsSpan(14)));
        Assert.Equal(0x1EC0_0000u, BinaryPrimitives.ReadUInt32LittleEndian(memory.AsSpan(22)));
    }

    [Fact]
    public void BufferHoldsItsSizeThenTheBytes()
    {
        // Buffer () { 79 00 }: 11, PkgLength 5 (itself, BytePrefix and size 0A 02, the two bytes), 0A 02, 79 00.
        Assert.Equal(new byte[] { 0x11, 0x05, 0x0A, 0x02, 0x79, 0x00 }, AmlEncoder.Buffer([0x79, 0x00]));
    }

    private static byte[] Dsdt()
    {
        var platform = new AcpiPlatform();
        var table = new byte[AcpiDsdt.Length(platform)];
        AcpiDsdt.Write(table, platform);
        return table;
    }

    [Fact]
    public void DsdtChecksumAndLengthHold()
    {
        byte[] dsdt = Dsdt();
        Assert.Equal("DSDT", Encoding.ASCII.GetString(dsdt, 0, 4));
        Assert.Equal((uint)dsdt.Length, BinaryPrimitives.ReadUInt32LittleEndian(dsdt.AsSpan(4)));
        byte sum = 0;
        foreach (byte b in dsdt) sum += b;
        Assert.Equal(0, sum);
    }

    [Fact]
    public void DsdtScopeSbSpansTheRestOfTheTableAndHoldsThePciRootBridge()
    {
        byte[] aml = Dsdt()[36..];
        // Name (_S5_, Package (4) { 5, 5, 0, 0 }) comes first: 08 "_S5_" 12 PkgLength(1) 04 0A 05 0A 05 00 00 = 14 bytes.
        const int scope = 14;
        Assert.Equal(0x10, aml[scope]); // ScopeOp
        int pkgLength = DecodePkgLength(aml, scope + 1);
        Assert.Equal(scope + 1 + 1 + (aml[scope + 1] >> 6), IndexOf(aml, "\\_SB_"u8.ToArray()));
        Assert.Equal(aml.Length, scope + 1 + pkgLength); // the scope is the last term and covers everything after its opcode
        int pci0 = IndexOf(aml, "PCI0"u8.ToArray());
        Assert.True(pci0 > scope);
        Assert.Equal([0x5B, 0x82], aml[(pci0 - 4)..(pci0 - 2)]); // DeviceOp with a two-byte PkgLength before the name
        Assert.True(IndexOf(aml, AmlEncoder.Name("_HID", AmlEncoder.EisaId("PNP0A03"))) > pci0);
    }

    [Theory]
    [InlineData("PNP0303", new byte[] { 0x47, 0x01, 0x60, 0x00, 0x60, 0x00, 0x01, 0x01, 0x47, 0x01, 0x64, 0x00, 0x64, 0x00, 0x01, 0x01, 0x22, 0x02, 0x00 })]
    [InlineData("PNP0F13", new byte[] { 0x22, 0x00, 0x10 })]
    [InlineData("PNP0501", new byte[] { 0x47, 0x01, 0xF8, 0x03, 0xF8, 0x03, 0x01, 0x08, 0x22, 0x10, 0x00 })]
    [InlineData("PNP0B00", new byte[] { 0x47, 0x01, 0x70, 0x00, 0x70, 0x00, 0x01, 0x02, 0x22, 0x00, 0x01 })]
    public void DsdtIsaDevicesClaimThePcPortsAndIrqs(string hid, byte[] resources)
    {
        // The standard PC/AT assignments: 8042 at 60h/64h on IRQ 1 and its mouse port on IRQ 12, COM1 at
        // 3F8h-3FFh on IRQ 4, the RTC index/data ports 70h/71h on IRQ 8.
        byte[] aml = Dsdt()[36..];
        int device = IndexOf(aml, AmlEncoder.EisaId(hid));
        Assert.True(device > 0, hid + " not declared");
        int crs = IndexOf(aml, "_CRS"u8.ToArray(), device);
        Assert.True(crs > device);
        Assert.Equal(crs + 4 + 1 + 1 + 2, IndexOf(aml, resources, crs)); // _CRS, BufferOp, PkgLength, BytePrefix size, then the template
    }

    private static int DecodePkgLength(byte[] aml, int at)
    {
        int lead = aml[at], follow = lead >> 6;
        if (follow == 0) return lead & 0x3F;
        int value = lead & 0x0F;
        for (int i = 0; i < follow; i++) value |= aml[at + 1 + i] << (4 + 8 * i);
        return value;
    }

    private static int IndexOf(byte[] haystack, byte[] needle, int from = 0) =>
        haystack.AsSpan(from).IndexOf(needle) is var i and >= 0 ? from + i : -1;
}
