using JitVirt.Machine.Bus;

namespace JitVirt.Machine.Tests;

public class BusTests
{
    [Theory]
    [InlineData(1, 0xFFu)]
    [InlineData(2, 0xFFFFu)]
    [InlineData(4, 0xFFFFFFFFu)]
    public void UnassignedPortReadsAllOnesBySize(int size, uint expected)
    {
        var bus = new PortIoBus();
        bus.Register(0x60, 1, new FixedValueDevice(0));
        Assert.Equal(expected, bus.Read(0x64, size));
        Assert.Equal(expected, bus.Read(0xFFFF, size));
        Assert.Equal(expected, bus.Read(0x0000, size));
    }

    [Fact]
    public void AssignedPortRoutesWithAbsolutePortAndMasksToSize()
    {
        var bus = new PortIoBus();
        var device = new FixedValueDevice(0x12345678);
        bus.Register(0x3F8, 8, device);
        Assert.Equal(0x78u, bus.Read(0x3FD, 1));
        Assert.Equal((ushort)0x3FD, device.LastPort);
        Assert.Equal(0xFFu, bus.Read(0x3F7, 1));
        Assert.Equal(0xFFu, bus.Read(0x400, 1));
    }

    [Fact]
    public void OverlappingPortRangeIsRejectedAtRegistration()
    {
        var bus = new PortIoBus();
        bus.Register(0x40, 4, new FixedValueDevice(0));
        Assert.Throws<BusRangeOverlapException>(() => bus.Register(0x43, 2, new FixedValueDevice(0)));
        Assert.Throws<BusRangeOverlapException>(() => bus.Register(0x3E, 3, new FixedValueDevice(0)));
        bus.Register(0x44, 1, new FixedValueDevice(1)); // adjacent is fine
        bus.Register(0x3F, 1, new FixedValueDevice(2));
        Assert.Equal(1u, bus.Read(0x44, 1));
        Assert.Equal(2u, bus.Read(0x3F, 1));
    }

    [Fact]
    public void UnassignedPortPollingDoesNotAllocate()
    {
        var bus = new PortIoBus();
        bus.Register(0x60, 1, new FixedValueDevice(0));
        bus.Read(0x64, 1);
        long before = GC.GetAllocatedBytesForCurrentThread();
        uint sum = 0;
        for (int i = 0; i < 1_000_000; i++) sum += bus.Read(0x64, 1);
        long after = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(0, after - before);
        Assert.Equal(0xFFu * 1_000_000, sum);
    }

    [Fact]
    public void MmioUnmappedReadsAllOnesAndMappedSeesOffset()
    {
        var bus = new MmioBus();
        var device = new FixedValueDevice(0xAB);
        bus.Register(0xFEC0_0000, 0x1000, device);
        Assert.Equal(0xFFFF_FFFFUL, bus.Read(0xFEBF_FFFC, 4));
        Assert.Equal(ulong.MaxValue, bus.Read(0xFFFF_FFFF_FFFF_FFF8, 8));
        Assert.Equal(0xABUL, bus.Read(0xFEC0_0010, 4));
        Assert.Equal(0x10UL, device.LastOffset);
        Assert.True(bus.IsMapped(0xFEC0_0FFF));
        Assert.False(bus.IsMapped(0xFEC0_1000));
    }

    [Fact]
    public void MmioOverlapIsRejectedAndUnregisterFreesTheRange()
    {
        var bus = new MmioBus();
        bus.Register(0x1000, 0x1000, new FixedValueDevice(1));
        Assert.Throws<BusRangeOverlapException>(() => bus.Register(0x1FFF, 2, new FixedValueDevice(2)));
        Assert.True(bus.Unregister(0x1000));
        bus.Register(0x1FFF, 2, new FixedValueDevice(2));
        Assert.Equal(2UL, bus.Read(0x2000, 1));
        Assert.Equal(0xFFUL, bus.Read(0x1000, 1));
    }
}
