using JitVirt.Machine.Devices.Pci;
using JitVirt.Machine.Firmware;

namespace JitVirt.MachineFirmware.Tests;

public sealed class PciTests
{
    private readonly PciBus _bus = new();
    private readonly PciConfigMechanism1 _config;
    private readonly PciTestDevice _testDev = new();

    public PciTests()
    {
        _bus.Attach(0, 0, new I440FxHostBridge());
        _bus.Attach(1, 0, new Piix3IsaBridge());
        _bus.Attach(3, 0, _testDev);
        _config = new PciConfigMechanism1(_bus);
    }

    private static uint Address(int device, int function, int register) =>
        0x8000_0000u | (uint)(device << 11) | (uint)(function << 8) | (uint)register;

    private uint Read32(int device, int register, int function = 0)
    {
        _config.WritePort(0xCF8, 4, Address(device, function, register));
        return _config.ReadPort(0xCFC, 4);
    }

    private void Write32(int device, int register, uint value)
    {
        _config.WritePort(0xCF8, 4, Address(device, 0, register));
        _config.WritePort(0xCFC, 4, value);
    }

    [Fact]
    public void HostAndIsaBridgesIdentifyAsI440FxAndPiix3()
    {
        Assert.Equal(0x1237_8086u, Read32(0, 0x00));
        Assert.Equal(0x0600_0000u, Read32(0, 0x08) & 0xFFFF_FF00); // class 06/00/00
        Assert.Equal(0x7000_8086u, Read32(1, 0x00));
        Assert.Equal(0x0601_0000u, Read32(1, 0x08) & 0xFFFF_FF00); // class 06/01/00
        Assert.Equal(0x80u, (Read32(1, 0x0C) >> 16) & 0xFF);     // multi-function header
    }

    [Fact]
    public void PciTestDevIdentity()
    {
        Assert.Equal(0x0005_1B36u, Read32(3, 0x00));
        Assert.Equal(0u, (Read32(3, 0x3C) >> 8) & 0xFF);          // no interrupt pin
    }

    [Fact]
    public void AbsentFunctionReadsAllOnes()
    {
        Assert.Equal(0xFFFF_FFFFu, Read32(7, 0x00));
        Assert.Equal(0xFFFF_FFFFu, Read32(0, 0x00, function: 1));
        _config.WritePort(0xCF8, 4, Address(7, 0, 0));
        Assert.Equal(0xFFu, _config.ReadPort(0xCFD, 1));
        Assert.Equal(0xFFFFu, _config.ReadPort(0xCFE, 2));
    }

    [Fact]
    public void OtherBusAndDisabledAddressReadAllOnes()
    {
        _config.WritePort(0xCF8, 4, 0x8001_0000u);                 // bus 1
        Assert.Equal(0xFFFF_FFFFu, _config.ReadPort(0xCFC, 4));
        _config.WritePort(0xCF8, 4, 0x0000_0000u);                 // enable bit 31 clear
        Assert.Equal(0xFFFF_FFFFu, _config.ReadPort(0xCFC, 4));
    }

    [Fact]
    public void ConfigAddressLatchesOnlyDwordWrites()
    {
        _config.WritePort(0xCF8, 4, Address(3, 0, 0x10) | 0x3);
        Assert.Equal(Address(3, 0, 0x10), _config.ReadPort(0xCF8, 4)); // bits 1:0 read zero
        _config.WritePort(0xCF8, 1, 0);
        Assert.Equal(Address(3, 0, 0x10), _config.ReadPort(0xCF8, 4));
    }

    [Fact]
    public void DataPortByteLanesSelectRegisterBytes()
    {
        _config.WritePort(0xCF8, 4, Address(0, 0, 0x00));
        Assert.Equal(0x86u, _config.ReadPort(0xCFC, 1));
        Assert.Equal(0x80u, _config.ReadPort(0xCFD, 1));
        Assert.Equal(0x1237u, _config.ReadPort(0xCFE, 2));
    }

    [Fact]
    public void BarSizingReturnsSizeMaskWithTypeBits()
    {
        Write32(3, 0x10, 0xFFFF_FFFF);
        Assert.Equal(0xFFFF_F000u, Read32(3, 0x10));   // 4 KiB 32-bit non-prefetchable memory
        Write32(3, 0x14, 0xFFFF_FFFF);
        Assert.Equal(0xFFFF_FF01u, Read32(3, 0x14));   // 256-byte I/O, bit 0 set
        Write32(3, 0x18, 0xFFFF_FFFF);
        Assert.Equal(0u, Read32(3, 0x18));              // unimplemented BAR
    }

    [Fact]
    public void SixtyFourBitBarSpansTwoRegisters()
    {
        var dev = new PciTestDevice(membarSize: 0x1_0000_0000);
        _bus.Attach(4, 0, dev);
        Write32(4, 0x18, 0xFFFF_FFFF);
        Write32(4, 0x1C, 0xFFFF_FFFF);
        Assert.Equal(0x0000_000Cu, Read32(4, 0x18));   // 64-bit (10b << 1) | prefetchable (bit 3), 4 GiB
        Assert.Equal(0xFFFF_FFFFu, Read32(4, 0x1C));
    }

    [Fact]
    public void CommandRegisterWritableBitsAndDecodingNotification()
    {
        int notified = 0;
        _testDev.DecodingChanged = _ => notified++;
        Write32(3, 0x04, 0xFFFF);
        Assert.Equal(0x0407u, Read32(3, 0x04) & 0xFFFF);
        Assert.True(_testDev.IoSpaceEnabled);
        Assert.True(_testDev.MemorySpaceEnabled);
        Assert.Equal(1, notified);
        Write32(3, 0x3C, 0x0B);
        Assert.Equal(0x0Bu, Read32(3, 0x3C) & 0xFF);   // interrupt line is read/write
        Assert.Equal(0x1B36u, Read32(3, 0x00) & 0xFFFF); // IDs stay read-only
        Write32(3, 0x00, 0);
        Assert.Equal(0x0005_1B36u, Read32(3, 0x00));
    }

    [Fact]
    public void ResourceAssignerPlacesAlignedBarsAndEnablesDecoding()
    {
        PciResourceAssigner.Assign(_bus);
        ulong mem = _testDev.GetBarAddress(0);
        ulong io = _testDev.GetBarAddress(1);
        Assert.Equal(0ul, mem % 0x1000);
        Assert.Equal(0ul, io % 0x100);
        Assert.InRange(mem, 0xE000_0000ul, 0xFEBF_FFFFul);
        Assert.InRange(io, 0xC000ul, 0xFF00ul);
        Assert.True(_testDev.MemorySpaceEnabled && _testDev.IoSpaceEnabled);
    }

    [Fact]
    public void PciTestDevMemoryTestsFollowKvmUnitTestsProtocol()
    {
        var mmio = _testDev.MemoryRegion;
        string[] expected = ["mmio-no-eventfd", "mmio-wildcard-eventfd", "mmio-datamatch-eventfd"];
        for (int test = 0; ; test++)
        {
            mmio.WriteMmio(0, 1, (ulong)test);
            Assert.Equal(0ul, mmio.ReadMmio(12, 4));           // count starts at 0
            byte width = (byte)mmio.ReadMmio(1, 1);
            if (test == 3) { Assert.Equal(0, width); break; }  // past the last test nothing is selected
            Assert.Equal(1, width);
            uint data = (uint)mmio.ReadMmio(8, 4);
            uint offset = (uint)mmio.ReadMmio(4, 4);
            Assert.Equal(2048u + (uint)test, offset);
            Assert.Equal(test == 1 ? 0xCEu : 0xFAu, data);
            for (int i = 0; i < 16; i++) mmio.WriteMmio(offset, 1, data);
            Assert.Equal(16ul, mmio.ReadMmio(12, 4));
            Assert.Equal(expected[test], ReadName(i => (byte)mmio.ReadMmio((ulong)(16 + i), 1)));
        }
    }

    [Fact]
    public void PciTestDevDataMatchIgnoresOtherValues()
    {
        var mmio = _testDev.MemoryRegion;
        mmio.WriteMmio(0, 1, 2);                 // datamatch
        mmio.WriteMmio(2050, 1, 0x12);
        Assert.Equal(0ul, mmio.ReadMmio(12, 4));
        mmio.WriteMmio(0, 1, 1);                 // wildcard counts any value
        mmio.WriteMmio(2049, 1, 0x12);
        Assert.Equal(1ul, mmio.ReadMmio(12, 4));
    }

    [Fact]
    public void PciTestDevPortTestsUsePortioHalf()
    {
        PciResourceAssigner.Assign(_bus);
        var io = _testDev.IoRegion;
        ushort bar = (ushort)_testDev.GetBarAddress(1);
        io.WritePort(bar, 1, 0);
        Assert.Equal(3u, io.ReadPort(bar, 1));                  // global test index 3
        uint offset = io.ReadPort((ushort)(bar + 4), 4);
        Assert.Equal(128u + 3, offset);
        for (int i = 0; i < 16; i++) io.WritePort((ushort)(bar + offset), 1, 0xFA);
        Assert.Equal(16u, io.ReadPort((ushort)(bar + 12), 4));
        Assert.Equal("portio-no-eventfd", ReadName(i => (byte)io.ReadPort((ushort)(bar + 16 + i), 1)));
    }

    private static string ReadName(Func<int, byte> readByte)
    {
        var name = new System.Text.StringBuilder();
        for (int i = 0; ; i++)
        {
            byte c = readByte(i);
            if (c == 0) return name.ToString();
            name.Append((char)c);
        }
    }
}
