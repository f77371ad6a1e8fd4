using System.Buffers.Binary;
using System.Text;
using JitVirt.Machine.Devices.FwCfg;

namespace JitVirt.MachineFirmware.Tests;

public sealed class FwCfgTests
{
    private readonly FwCfgDevice _fwCfg = new(ramSizeBytes: 256ul << 20, cpuCount: 1, maxCpus: 4);

    private byte[] ReadItem(ushort selector, int length)
    {
        _fwCfg.WritePort(0x510, 2, selector);
        var bytes = new byte[length];
        for (int i = 0; i < length; i++) bytes[i] = (byte)_fwCfg.ReadPort(0x511, 1);
        return bytes;
    }

    [Fact]
    public void SignatureIsQemu() => Assert.Equal("QEMU", Encoding.ASCII.GetString(ReadItem(0x0000, 4)));

    [Fact]
    public void IdReportsTraditionalInterfaceWithoutDma()
    {
        uint id = BinaryPrimitives.ReadUInt32LittleEndian(ReadItem(0x0001, 4));
        Assert.Equal(1u, id & 1);
        Assert.Equal(0u, id & 2);
    }

    [Fact]
    public void RamSizeAndCpuCountsAreLittleEndian()
    {
        Assert.Equal(256ul << 20, BinaryPrimitives.ReadUInt64LittleEndian(ReadItem(0x0003, 8)));
        Assert.Equal((ushort)1, BinaryPrimitives.ReadUInt16LittleEndian(ReadItem(0x0005, 2)));
        Assert.Equal((ushort)4, BinaryPrimitives.ReadUInt16LittleEndian(ReadItem(0x000F, 2)));
    }

    [Fact]
    public void ReadingPastTheEndOrAnAbsentItemReturnsZero()
    {
        var bytes = ReadItem(0x0000, 8);
        Assert.Equal(new byte[] { 0, 0, 0, 0 }, bytes[4..]);
        Assert.Equal(new byte[4], ReadItem(0x0123, 4));
    }

    [Fact]
    public void SelectorWriteRestartsAtOffsetZero()
    {
        ReadItem(0x0000, 2);
        Assert.Equal("QE", Encoding.ASCII.GetString(ReadItem(0x0000, 2)));
    }

    [Fact]
    public void FileDirectoryListsFilesSortedWithBigEndianFields()
    {
        _fwCfg.AddFile("opt/zeta", [1, 2, 3]);
        _fwCfg.AddFile("etc/alpha", "hello"u8.ToArray());
        byte[] countBytes = ReadItem(0x0019, 4);
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32BigEndian(countBytes));
        byte[] dir = ReadItem(0x0019, 4 + 2 * 64);
        var first = dir.AsSpan(4, 64);
        var second = dir.AsSpan(68, 64);
        Assert.Equal(5u, BinaryPrimitives.ReadUInt32BigEndian(first));
        Assert.Equal((ushort)0x20, BinaryPrimitives.ReadUInt16BigEndian(first[4..]));
        Assert.Equal("etc/alpha", Encoding.ASCII.GetString(first[8..]).TrimEnd('\0'));
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32BigEndian(second));
        Assert.Equal((ushort)0x21, BinaryPrimitives.ReadUInt16BigEndian(second[4..]));
        Assert.Equal("opt/zeta", Encoding.ASCII.GetString(second[8..]).TrimEnd('\0'));
        Assert.Equal("hello", Encoding.ASCII.GetString(ReadItem(0x20, 5)));
        Assert.Equal(new byte[] { 1, 2, 3, 0 }, ReadItem(0x21, 4));
    }

    [Fact]
    public void DataPortWritesAreIgnored()
    {
        _fwCfg.WritePort(0x510, 2, 0x4000);  // write-mode selector for the signature
        _fwCfg.WritePort(0x511, 1, (uint)'X');
        Assert.Equal("QEMU", Encoding.ASCII.GetString(ReadItem(0x0000, 4)));
    }
}
