using JitVirt.Machine.Devices.Apic;
using JitVirt.Machine.Devices.IoApic;

namespace JitVirt.MachineFirmware.Tests;

public sealed class IoApicTests
{
    private readonly RecordingDelivery _delivery = new();
    private readonly IoApic82093AA _ioApic;

    public IoApicTests() => _ioApic = new IoApic82093AA(_delivery);

    private uint ReadIndirect(byte index)
    {
        _ioApic.WriteMmio(0x00, 1, index);
        return (uint)_ioApic.ReadMmio(0x10, 4);
    }

    private void WriteIndirect(byte index, uint value)
    {
        _ioApic.WriteMmio(0x00, 1, index);
        _ioApic.WriteMmio(0x10, 4, value);
    }

    private void Program(int pin, uint low, uint high = 0)
    {
        WriteIndirect((byte)(0x11 + 2 * pin), high);
        WriteIndirect((byte)(0x10 + 2 * pin), low);
    }

    private const uint LevelTriggered = 1u << 15;
    private const uint RemoteIrr = 1u << 14;
    private const uint Masked = 1u << 16;

    [Fact]
    public void VersionReportsTwentyFourEntries()
    {
        uint version = ReadIndirect(0x01);
        Assert.Equal(0x11u, version & 0xFF);
        Assert.Equal(23u, (version >> 16) & 0xFF); // maximum redirection entry = 24 - 1
    }

    [Fact]
    public void RedirectionEntriesResetMasked()
    {
        for (int pin = 0; pin < 24; pin++) Assert.Equal(Masked, ReadIndirect((byte)(0x10 + 2 * pin)) & Masked);
    }

    [Fact]
    public void IdIsWritableInBits27To24AndCopiedToArbitration()
    {
        WriteIndirect(0x00, 0xFFFF_FFFF);
        Assert.Equal(0x0F00_0000u, ReadIndirect(0x00));
        Assert.Equal(0x0F00_0000u, ReadIndirect(0x02));
    }

    [Fact]
    public void RemoteIrrAndDeliveryStatusAreReadOnly()
    {
        Program(3, 0xFFFF_FFFF & ~Masked);
        uint low = ReadIndirect(0x10 + 6);
        Assert.Equal(0u, low & (RemoteIrr | (1u << 12)));
        Assert.Equal(0xFFu, low & 0xFF);
    }

    [Fact]
    public void EdgeTriggeredPinDeliversOnRisingEdgeOnly()
    {
        Program(4, 0x34);
        var line = _ioApic.GetInput(4);
        line.SetLevel(true);
        line.SetLevel(true);
        line.SetLevel(false);
        line.SetLevel(true);
        Assert.Equal(2, _delivery.Messages.Count);
        Assert.Equal(new ApicInterruptMessage(0x34, ApicDeliveryMode.Fixed, false, 0, false), _delivery.Messages[0]);
    }

    [Fact]
    public void LevelTriggeredSetsRemoteIrrUntilEoi()
    {
        Program(9, 0x39 | LevelTriggered, 0x01u << 24);
        var line = _ioApic.GetInput(9);
        line.SetLevel(true);
        Assert.Single(_delivery.Messages);
        Assert.True(_delivery.Messages[0].LevelTriggered);
        Assert.Equal(1, _delivery.Messages[0].Destination);
        Assert.Equal(RemoteIrr, ReadIndirect(0x10 + 18) & RemoteIrr);
        line.SetLevel(true);                  // still pending in the CPU: no re-send
        Assert.Single(_delivery.Messages);
        _ioApic.OnEoiBroadcast(0x39);         // line still asserted: re-delivered
        Assert.Equal(2, _delivery.Messages.Count);
        Assert.Equal(RemoteIrr, ReadIndirect(0x10 + 18) & RemoteIrr);
        line.SetLevel(false);
        _ioApic.OnEoiBroadcast(0x39);
        Assert.Equal(0u, ReadIndirect(0x10 + 18) & RemoteIrr);
        Assert.Equal(2, _delivery.Messages.Count);
    }

    [Fact]
    public void EoiForOtherVectorLeavesRemoteIrr()
    {
        Program(10, 0x3A | LevelTriggered);
        _ioApic.GetInput(10).SetLevel(true);
        _ioApic.OnEoiBroadcast(0x3B);
        Assert.Equal(RemoteIrr, ReadIndirect(0x10 + 20) & RemoteIrr);
    }

    [Fact]
    public void MaskedPinsDoNotDeliverAndUnmaskingAssertedLevelDelivers()
    {
        Program(5, 0x35 | Masked);
        Program(11, 0x3C | Masked | LevelTriggered);
        _ioApic.GetInput(5).SetLevel(true);
        _ioApic.GetInput(11).SetLevel(true);
        Assert.Empty(_delivery.Messages);
        Program(5, 0x35);                    // edge lost while masked
        Assert.Empty(_delivery.Messages);
        Program(11, 0x3C | LevelTriggered);  // level still asserted
        Assert.Single(_delivery.Messages);
        Assert.Equal(0x3C, _delivery.Messages[0].Vector);
    }

    [Fact]
    public void LevelInterruptThroughLocalApicRoundTrip()
    {
        var clock = new FakeClock();
        var apic = new LocalApic(clock, new FakeScheduler(clock), 1_000_000_000);
        apic.WriteMmio(0xF0, 4, 0x1FF);
        var ioApic = new IoApic82093AA(apic);
        apic.EoiBroadcast = ioApic.OnEoiBroadcast;
        ioApic.WriteMmio(0, 1, 0x10 + 2 * 9);
        ioApic.WriteMmio(0x10, 4, 0x49 | LevelTriggered);
        var line = ioApic.GetInput(9);
        line.SetLevel(true);
        Assert.True(apic.TryGetHighestDeliverable(out int vector));
        Assert.Equal(0x49, apic.Acknowledge());
        Assert.Equal(0x49, vector);
        Assert.True(ioApic.GetRedirectionEntry(9).RemoteIrrSet);
        line.SetLevel(false);
        apic.WriteMmio(0xB0, 4, 0);          // EOI: TMR set, so broadcast clears Remote IRR
        Assert.False(ioApic.GetRedirectionEntry(9).RemoteIrrSet);
        Assert.False(apic.TryGetHighestDeliverable(out _));
    }
}
