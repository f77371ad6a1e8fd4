using System.Buffers.Binary;
using System.Text;
using JitVirt.Machine.Firmware;

namespace JitVirt.MachineFirmware.Tests;

public sealed class AcpiTablesTests
{
    private readonly byte[] _ram = new byte[0x10_0000];
    private readonly AcpiTablesLayout _layout;

    public AcpiTablesTests() => _layout = AcpiTablesBuilder.Build(new GuestMemoryWriter(_ram, 0), new AcpiPlatform());

    private static byte Sum(ReadOnlySpan<byte> bytes)
    {
        byte s = 0;
        foreach (byte b in bytes) s += b;
        return s;
    }

    /// <summary>OS-style search: "RSD PTR " on 16-byte boundaries in 0xE0000–0xFFFFF with a valid checksum.</summary>
    private int FindRsdp()
    {
        for (int at = 0xE0000; at < 0x100000; at += 16)
        {
            if (Encoding.ASCII.GetString(_ram, at, 8) == "RSD PTR " && Sum(_ram.AsSpan(at, 20)) == 0) return at;
        }
        return -1;
    }

    private Span<byte> Table(ulong address) =>
        _ram.AsSpan((int)address, (int)BinaryPrimitives.ReadUInt32LittleEndian(_ram.AsSpan((int)address + 4)));

    private List<ulong> XsdtEntries()
    {
        int rsdp = FindRsdp();
        var xsdt = Table(BinaryPrimitives.ReadUInt64LittleEndian(_ram.AsSpan(rsdp + 24)));
        var entries = new List<ulong>();
        for (int at = 36; at < xsdt.Length; at += 8) entries.Add(BinaryPrimitives.ReadUInt64LittleEndian(xsdt[at..]));
        return entries;
    }

    private Span<byte> FindTable(string signature)
    {
        foreach (ulong address in XsdtEntries())
        {
            if (Encoding.ASCII.GetString(_ram, (int)address, 4) == signature) return Table(address);
        }
        throw new InvalidOperationException(signature + " not found");
    }

    [Fact]
    public void RsdpIsFoundByScanAndBothChecksumsHold()
    {
        int rsdp = FindRsdp();
        Assert.Equal((int)_layout.Rsdp, rsdp);
        Assert.Equal(2, _ram[rsdp + 15]);                                  // revision 2 (ACPI 2.0+)
        Assert.Equal(36u, BinaryPrimitives.ReadUInt32LittleEndian(_ram.AsSpan(rsdp + 20)));
        Assert.Equal(0, Sum(_ram.AsSpan(rsdp, 36)));                       // extended checksum
    }

    [Fact]
    public void RsdtAndXsdtListTheSameTables()
    {
        int rsdp = FindRsdp();
        var rsdt = Table(BinaryPrimitives.ReadUInt32LittleEndian(_ram.AsSpan(rsdp + 16)));
        Assert.Equal("RSDT", Encoding.ASCII.GetString(rsdt[..4]));
        var rsdtEntries = new List<ulong>();
        for (int at = 36; at < rsdt.Length; at += 4) rsdtEntries.Add(BinaryPrimitives.ReadUInt32LittleEndian(rsdt[at..]));
        Assert.Equal(XsdtEntries(), rsdtEntries);
        Assert.Equal(2, rsdtEntries.Count);
    }

    [Fact]
    public void EveryTableChecksumSumsToZero()
    {
        int rsdp = FindRsdp();
        var tables = new List<ulong>
        {
            BinaryPrimitives.ReadUInt32LittleEndian(_ram.AsSpan(rsdp + 16)),
            BinaryPrimitives.ReadUInt64LittleEndian(_ram.AsSpan(rsdp + 24)),
        };
        tables.AddRange(XsdtEntries());
        var fadt = FindTable("FACP");
        tables.Add(BinaryPrimitives.ReadUInt64LittleEndian(fadt[140..]));  // X_DSDT
        Assert.Equal(5, tables.Count);
        foreach (ulong address in tables) Assert.Equal(0, Sum(Table(address)));
    }

    [Fact]
    public void FadtDescribesPmBlocksResetRegisterAndSci()
    {
        var fadt = FindTable("FACP");
        Assert.Equal(276, fadt.Length);
        Assert.Equal(9, BinaryPrimitives.ReadUInt16LittleEndian(fadt[46..]));        // SCI_INT
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(fadt[48..]));      // no SMI_CMD
        Assert.Equal(0x600u, BinaryPrimitives.ReadUInt32LittleEndian(fadt[56..]));  // PM1a_EVT_BLK
        Assert.Equal(0x604u, BinaryPrimitives.ReadUInt32LittleEndian(fadt[64..]));  // PM1a_CNT_BLK
        Assert.Equal(0x608u, BinaryPrimitives.ReadUInt32LittleEndian(fadt[76..]));  // PM_TMR_BLK
        Assert.Equal(4, fadt[88]);   // PM1_EVT_LEN
        Assert.Equal(2, fadt[89]);   // PM1_CNT_LEN
        Assert.Equal(4, fadt[91]);   // PM_TMR_LEN
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(fadt[112..]);
        Assert.NotEqual(0u, flags & (1u << 10));   // RESET_REG_SUP
        Assert.Equal(0u, flags & (1u << 8));       // TMR_VAL_EXT clear: 24-bit timer
        Assert.Equal(1, fadt[116]);                // reset register in system I/O space
        Assert.Equal(8, fadt[117]);                // 8 bits wide
        Assert.Equal(0xCF9ul, BinaryPrimitives.ReadUInt64LittleEndian(fadt[120..]));
        Assert.Equal(0x06, fadt[128]);             // RESET_VALUE
        Assert.Equal(1, fadt[208]);                // X_PM_TMR_BLK in system I/O space
        Assert.Equal(0x608ul, BinaryPrimitives.ReadUInt64LittleEndian(fadt[212..]));
        // A FACS below 4 GiB is named by FIRMWARE_CTRL alone; X_FIRMWARE_CTRL must then be zero (ACPI 6.x Table 5.9).
        Assert.Equal(0ul, BinaryPrimitives.ReadUInt64LittleEndian(fadt[132..]));
        ulong facs = BinaryPrimitives.ReadUInt32LittleEndian(fadt[36..]);
        Assert.Equal("FACS", Encoding.ASCII.GetString(_ram, (int)facs, 4));
        Assert.Equal(0ul, facs % 64);
    }

    [Fact]
    public void DsdtDefinesS5PackageMatchingPmSleepType()
    {
        var fadt = FindTable("FACP");
        var dsdt = Table(BinaryPrimitives.ReadUInt32LittleEndian(fadt[40..]));
        Assert.Equal("DSDT", Encoding.ASCII.GetString(dsdt[..4]));
        var aml = dsdt[36..].ToArray();
        int name = Encoding.ASCII.GetString(aml).IndexOf("_S5_", StringComparison.Ordinal);
        Assert.True(name > 0);
        Assert.Equal(0x08, aml[name - 1]);   // NameOp
        Assert.Equal(0x12, aml[name + 4]);   // PackageOp
        Assert.Equal(4, aml[name + 6]);      // NumElements
        Assert.Equal(0x0A, aml[name + 7]);   // BytePrefix
        Assert.Equal(5, aml[name + 8]);      // SLP_TYPa = 5, what AcpiPmDevice treats as S5
    }

    [Fact]
    public void MadtParsesBackToPlatform()
    {
        var madt = FindTable("APIC");
        Assert.Equal(0xFEE0_0000u, BinaryPrimitives.ReadUInt32LittleEndian(madt[36..]));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(madt[40..]) & 1); // PCAT_COMPAT
        var seen = new List<string>();
        for (int at = 44; at < madt.Length; at += madt[at + 1])
        {
            var e = madt[at..];
            switch (e[0])
            {
                case 0:
                    Assert.Equal(8, e[1]);
                    Assert.Equal(0, e[3]);   // APIC ID 0
                    Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(e[4..]) & 1);
                    seen.Add("lapic");
                    break;
                case 1:
                    Assert.Equal(12, e[1]);
                    Assert.Equal(0xFEC0_0000u, BinaryPrimitives.ReadUInt32LittleEndian(e[4..]));
                    Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(e[8..]));  // GSI base
                    seen.Add("ioapic");
                    break;
                case 2:
                    Assert.Equal(10, e[1]);
                    Assert.Equal(0, e[2]);   // ISA bus
                    uint gsi = BinaryPrimitives.ReadUInt32LittleEndian(e[4..]);
                    ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(e[8..]);
                    if (e[3] == 0) { Assert.Equal(2u, gsi); seen.Add("irq0->2"); }
                    else if (e[3] == 9) { Assert.Equal(9u, gsi); Assert.Equal(0b1101, flags); seen.Add("irq9-level-high"); }
                    break;
                case 4:
                    Assert.Equal(6, e[1]);
                    Assert.Equal(0xFF, e[2]);
                    Assert.Equal(1, e[5]);   // LINT1
                    seen.Add("nmi");
                    break;
            }
        }
        Assert.Equal(new[] { "lapic", "ioapic", "irq0->2", "irq9-level-high", "nmi" }, seen);
    }

    [Fact]
    public void RsdpOutsideBiosAreaIsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            AcpiTablesBuilder.Build(new GuestMemoryWriter(new byte[0x10_0000], 0), new AcpiPlatform(), rsdpAddress: 0x9000));
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            AcpiTablesBuilder.Build(new GuestMemoryWriter(new byte[0x10_0000], 0), new AcpiPlatform(), rsdpAddress: 0xE0008));
    }

    [Fact]
    public void TablesCanBePlacedElsewhereInLowMemory()
    {
        var ram = new byte[0x10_0000];
        var layout = AcpiTablesBuilder.Build(new GuestMemoryWriter(ram, 0), new AcpiPlatform(), rsdpAddress: 0xF0000, tablesAddress: 0x8000);
        Assert.Equal(0x8000ul, layout.Facs);          // already 64-byte aligned
        Assert.Equal("RSD PTR ", Encoding.ASCII.GetString(ram, 0xF0000, 8));
        Assert.True(layout.TablesEnd - layout.TablesStart <= (ulong)AcpiTablesBuilder.RequiredSize(new AcpiPlatform()));
    }
}
