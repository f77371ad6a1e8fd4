using JitVirt.Machine.Devices.Apic;

namespace JitVirt.MachineFirmware.Tests;

public sealed class LocalApicTests
{
    private const long TscHz = 2_000_000_000;
    private readonly FakeClock _clock = new();
    private readonly FakeScheduler _scheduler;
    private readonly LocalApic _apic;

    public LocalApicTests()
    {
        _scheduler = new FakeScheduler(_clock);
        _apic = new LocalApic(_clock, _scheduler, TscHz);
    }

    private uint Read(int register) => (uint)_apic.ReadMmio((ulong)register, 4);

    private void Write(int register, uint value) => _apic.WriteMmio((ulong)register, 4, value);

    private void SoftwareEnable() => Write(0xF0, 0x1FF); // SVR: bit 8 enable, spurious vector 0xFF

    private bool IrrBit(int vector) => (Read(0x200 + (vector / 32) * 0x10) & (1u << (vector % 32))) != 0;

    private bool IsrBit(int vector) => (Read(0x100 + (vector / 32) * 0x10) & (1u << (vector % 32))) != 0;

    [Fact]
    public void PowerUpValuesFollowSdm()
    {
        // SDM vol.3 §11.4.7.1: SVR 0xFF, DFR all ones, LVTs masked (bit 16), TPR/ID 0.
        Assert.Equal(0xFFu, Read(0xF0));
        Assert.Equal(0xFFFF_FFFFu, Read(0xE0));
        foreach (int lvt in new[] { 0x320, 0x330, 0x340, 0x350, 0x360, 0x370 }) Assert.Equal(0x0001_0000u, Read(lvt));
        Assert.Equal(0u, Read(0x80));
        Assert.Equal(0xFEE0_0900ul, _apic.ReadApicBaseMsr()); // base 0xFEE00000, EN bit 11, BSP bit 8
    }

    [Fact]
    public void VersionRegisterReportsXapicWithSixLvtEntries()
    {
        uint version = Read(0x30);
        Assert.Equal(0x14u, version & 0xFF);          // integrated APIC version
        Assert.Equal(5u, (version >> 16) & 0xFF);     // Max LVT Entry = entries - 1
    }

    [Fact]
    public void IdRegisterHoldsApicIdInBits31To24()
    {
        var apic = new LocalApic(_clock, _scheduler, TscHz, apicId: 3);
        Assert.Equal(3u << 24, (uint)apic.ReadMmio(0x20, 4));
    }

    [Fact]
    public void ProcessorPriorityIsMaxOfTprAndInServiceClass()
    {
        SoftwareEnable();
        _apic.AcceptInterrupt(0x51, levelTriggered: false);
        Assert.Equal(0x51, _apic.Acknowledge());
        Write(0x80, 0x30);
        Assert.Equal(0x50u, Read(0xA0));  // ISRV class 5 > TPR class 3: PPR = 0x50
        Write(0x80, 0x62);
        Assert.Equal(0x62u, Read(0xA0));  // TPR class 6 >= 5: PPR = TPR
    }

    [Fact]
    public void TaskPriorityMasksSameOrLowerClass()
    {
        SoftwareEnable();
        Write(0x80, 0x40);
        _apic.AcceptInterrupt(0x45, levelTriggered: false);
        Assert.False(_apic.TryGetHighestDeliverable(out _));   // class 4 is not above PPR class 4
        _apic.AcceptInterrupt(0x55, levelTriggered: false);
        Assert.True(_apic.TryGetHighestDeliverable(out int vector));
        Assert.Equal(0x55, vector);
        Write(0x80, 0x30);
        Assert.Equal(0x55, _apic.Acknowledge());
        Assert.True(IsrBit(0x55));
        Assert.False(IrrBit(0x55));
        Assert.False(_apic.TryGetHighestDeliverable(out _));   // 0x45 now below in-service class 5
    }

    [Fact]
    public void AcknowledgeWithNothingDeliverableReturnsSpuriousVector()
    {
        Write(0xF0, 0x1E7);
        Assert.Equal(0xE7, _apic.Acknowledge());
    }

    [Fact]
    public void EoiClearsHighestInServiceBitOnly()
    {
        SoftwareEnable();
        _apic.AcceptInterrupt(0x40, false);
        Assert.Equal(0x40, _apic.Acknowledge());
        _apic.AcceptInterrupt(0x80, false);
        Assert.Equal(0x80, _apic.Acknowledge());  // nests: class 8 above PPR 0x40
        Write(0xB0, 0);
        Assert.False(IsrBit(0x80));
        Assert.True(IsrBit(0x40));
        Write(0xB0, 0);
        Assert.False(IsrBit(0x40));
    }

    [Fact]
    public void EoiOfLevelTriggeredVectorBroadcastsToIoApic()
    {
        SoftwareEnable();
        var broadcasts = new List<byte>();
        _apic.EoiBroadcast = broadcasts.Add;
        _apic.AcceptInterrupt(0x61, levelTriggered: true);
        Assert.True((Read(0x180 + 3 * 0x10) & (1u << 1)) != 0); // TMR bit for 0x61 set on acceptance
        _apic.Acknowledge();
        Write(0xB0, 0);
        _apic.AcceptInterrupt(0x62, levelTriggered: false);
        _apic.Acknowledge();
        Write(0xB0, 0);
        Assert.Equal(new byte[] { 0x61 }, broadcasts);
    }

    [Fact]
    public void ErrorStatusIsLatchedByWrite()
    {
        SoftwareEnable();
        Write(0x300, 0x0004_0005);    // self IPI, fixed, vector 5: illegal vector
        Assert.Equal(0u, Read(0x280)); // not visible until ESR is written
        Write(0x280, 0);
        Assert.Equal(1u << 5, Read(0x280)); // Send Illegal Vector
        Write(0x280, 0);
        Assert.Equal(0u, Read(0x280));
    }

    [Fact]
    public void ErrorRaisesErrorLvtWhenUnmasked()
    {
        SoftwareEnable();
        Write(0x370, 0xE3);
        _apic.AcceptInterrupt(3, false); // received illegal vector
        Assert.True(IrrBit(0xE3));
        Write(0x280, 0);
        Assert.Equal(1u << 6, Read(0x280));
    }

    [Fact]
    public void SelfIpiSetsIrrAndIsReported()
    {
        SoftwareEnable();
        var sent = new List<ApicInterProcessorInterrupt>();
        _apic.InterProcessorInterruptSent = sent.Add;
        Write(0x300, (0b01u << 18) | 0x55); // shorthand self, fixed
        Assert.True(IrrBit(0x55));
        Assert.Single(sent);
        Assert.True(sent[0].DeliveredLocally);
        Assert.Equal(0u, Read(0x300) & (1u << 12)); // delivery status idle
    }

    [Fact]
    public void AllExcludingSelfDoesNotReachThisApic()
    {
        SoftwareEnable();
        var sent = new List<ApicInterProcessorInterrupt>();
        _apic.InterProcessorInterruptSent = sent.Add;
        Write(0x300, (0b11u << 18) | 0x66);
        Assert.False(IrrBit(0x66));
        Assert.False(sent[0].DeliveredLocally);
        Write(0x300, (0b10u << 18) | 0x67);  // all including self
        Assert.True(IrrBit(0x67));
    }

    [Fact]
    public void InitAndStartupToOtherCpuAreRecordedNotFatal()
    {
        SoftwareEnable();
        var sent = new List<ApicInterProcessorInterrupt>();
        _apic.InterProcessorInterruptSent = sent.Add;
        Write(0x310, 1u << 24);               // destination APIC 1
        Write(0x300, (0b101u << 8) | (1u << 14)); // INIT, assert
        Write(0x300, (0b110u << 8) | 0x9A);        // SIPI, vector 0x9A (page 0x9A000)
        Assert.Equal(2, sent.Count);
        Assert.Equal(ApicDeliveryMode.Init, sent[0].DeliveryMode);
        Assert.Equal(ApicDeliveryMode.StartUp, sent[1].DeliveryMode);
        Assert.Equal(1, sent[1].Destination);
        Assert.Equal(0x9A, sent[1].Vector);
        Assert.False(sent[1].DeliveredLocally);
    }

    [Fact]
    public void NmiIpiToSelfBecomesPendingNmi()
    {
        SoftwareEnable();
        Write(0x300, (0b01u << 18) | (0b100u << 8));
        Assert.True(_apic.TryTakePendingNmi());
        Assert.False(_apic.TryTakePendingNmi());
    }

    [Theory]
    [InlineData(0b0000u, 2)]
    [InlineData(0b0001u, 4)]
    [InlineData(0b0010u, 8)]
    [InlineData(0b0011u, 16)]
    [InlineData(0b1000u, 32)]
    [InlineData(0b1001u, 64)]
    [InlineData(0b1010u, 128)]
    [InlineData(0b1011u, 1)]
    public void DivideConfigurationSelectsDivisor(uint dcr, int divisor)
    {
        // SDM vol.3 §11.5.4 Figure 11-10. Bus clock is 1 GHz, so one count per divisor ns.
        Assert.Equal(1_000_000_000L, LocalApicTimer.BusFrequencyHz);
        SoftwareEnable();
        Write(0x3E0, dcr);
        Write(0x380, 1000);
        _scheduler.AdvanceTo(100L * divisor);
        Assert.Equal(900u, Read(0x390));
    }

    [Fact]
    public void OneShotTimerCountsDownAndFiresOnce()
    {
        SoftwareEnable();
        Write(0x320, 0x31);       // one-shot, vector 0x31, unmasked
        Write(0x3E0, 0b0000);     // divide by 2
        Write(0x380, 1000);       // expires after 2000 ns
        _scheduler.AdvanceTo(500);
        Assert.Equal(750u, Read(0x390));
        _scheduler.AdvanceTo(1999);
        Assert.False(IrrBit(0x31));
        _scheduler.AdvanceTo(2000);
        Assert.True(IrrBit(0x31));
        Assert.Equal(0u, Read(0x390));
        _apic.Acknowledge();
        Write(0xB0, 0);
        _scheduler.AdvanceTo(10_000);
        Assert.False(IrrBit(0x31));
        Assert.Equal(0, _scheduler.PendingCount);
    }

    [Fact]
    public void PeriodicTimerReloadsAndFiresEveryPeriod()
    {
        SoftwareEnable();
        Write(0x320, (0b01u << 17) | 0x32); // periodic
        Write(0x3E0, 0b1011);               // divide by 1: period = 100 ns
        Write(0x380, 100);
        _scheduler.AdvanceTo(250);
        Assert.Equal(50u, Read(0x390));     // reloaded twice, half-way through the third period
        for (int period = 3; period <= 5; period++)
        {
            Assert.Equal(0x32, _apic.Acknowledge());
            Write(0xB0, 0);
            Assert.False(IrrBit(0x32));
            _scheduler.AdvanceTo(period * 100);
            Assert.True(IrrBit(0x32));
        }
    }

    [Fact]
    public void MaskedTimerDoesNotInterrupt()
    {
        SoftwareEnable();
        Write(0x320, 0x0001_0033);
        Write(0x3E0, 0b1011);
        Write(0x380, 10);
        _scheduler.AdvanceTo(100);
        Assert.False(IrrBit(0x33));
    }

    [Fact]
    public void InitialCountZeroStopsTimer()
    {
        SoftwareEnable();
        Write(0x320, 0x34);
        Write(0x3E0, 0b1011);
        Write(0x380, 100);
        Write(0x380, 0);
        _scheduler.AdvanceTo(1000);
        Assert.False(IrrBit(0x34));
        Assert.Equal(0u, Read(0x390));
    }

    [Fact]
    public void TscDeadlineFiresWhenTscReachesDeadline()
    {
        SoftwareEnable();
        Write(0x320, (0b10u << 17) | 0x35);
        Write(0x380, 1234);                       // ignored in TSC-deadline mode
        Assert.Equal(0u, Read(0x390));
        _apic.WriteTscDeadlineMsr(3000);          // 2 GHz TSC: 1500 ns
        Assert.Equal(3000ul, _apic.ReadTscDeadlineMsr());
        _scheduler.AdvanceTo(1499);
        Assert.False(IrrBit(0x35));
        _scheduler.AdvanceTo(1500);
        Assert.True(IrrBit(0x35));
        Assert.Equal(0ul, _apic.ReadTscDeadlineMsr()); // cleared once it fires
    }

    [Fact]
    public void TscDeadlineMsrIgnoredOutsideDeadlineMode()
    {
        _apic.WriteTscDeadlineMsr(100);
        Assert.Equal(0ul, _apic.ReadTscDeadlineMsr());
    }

    [Fact]
    public void SoftwareDisabledApicKeepsLvtMaskedAndDropsFixedInterrupts()
    {
        Write(0x320, 0x36);
        Assert.Equal(0x0001_0036u, Read(0x320));
        _apic.AcceptInterrupt(0x70, false);
        Assert.False(IrrBit(0x70));
        SoftwareEnable();
        Write(0x320, 0x36);
        Assert.Equal(0x36u, Read(0x320));
        Write(0xF0, 0xFF);   // disable again: every LVT gets masked
        Assert.Equal(0x0001_0036u, Read(0x320));
    }

    [Fact]
    public void Cr8MirrorsTprHighNibble()
    {
        _apic.WriteCr8(0x5);
        Assert.Equal(0x50u, Read(0x80));
        Write(0x80, 0x7F);
        Assert.Equal(7ul, _apic.ReadCr8());
    }

    [Fact]
    public void ApicBaseMsrRelocatesAndRejectsReservedBits()
    {
        ulong? moved = null;
        _apic.BaseRelocated = b => moved = b;
        Assert.False(_apic.TryWriteApicBaseMsr(0xFEE0_0800 | 0x1));      // bit 0 reserved
        Assert.False(_apic.TryWriteApicBaseMsr(0xFEE0_0800 | (1ul << 10))); // x2APIC not supported
        Assert.True(_apic.TryWriteApicBaseMsr(0xFED0_0800));
        Assert.Equal(0xFED0_0000ul, moved);
        Assert.Equal(0xFED0_0000ul, _apic.BaseAddress);
        Assert.Equal(0xFED0_0900ul, _apic.ReadApicBaseMsr());             // BSP flag kept
    }

    [Fact]
    public void GloballyDisabledApicPassesPicThroughAndResetsOnReenable()
    {
        SoftwareEnable();
        Write(0x80, 0x20);
        Assert.False(_apic.Lint0ExtIntPassThrough);                        // LINT0 masked at reset
        Assert.True(_apic.TryWriteApicBaseMsr(0xFEE0_0000));              // clear EN (bit 11)
        Assert.True(_apic.Lint0ExtIntPassThrough);
        Assert.Equal(0ul, _apic.ReadMmio(0x80, 4));
        Assert.True(_apic.TryWriteApicBaseMsr(0xFEE0_0800));
        Assert.Equal(0u, Read(0x80));
        Assert.Equal(0xFFu, Read(0xF0));
    }

    [Fact]
    public void Lint0ExtIntIsPassThrough()
    {
        SoftwareEnable();
        Write(0x350, 0b111u << 8);
        Assert.True(_apic.Lint0ExtIntPassThrough);
        Write(0x350, (0b111u << 8) | (1u << 16));
        Assert.False(_apic.Lint0ExtIntPassThrough);
    }

    [Fact]
    public void DeliverMatchesPhysicalAndLogicalDestinations()
    {
        SoftwareEnable();
        Assert.False(_apic.Deliver(new ApicInterruptMessage(0x41, ApicDeliveryMode.Fixed, false, 2, false)));
        Assert.True(_apic.Deliver(new ApicInterruptMessage(0x42, ApicDeliveryMode.Fixed, false, 0, false)));
        Write(0xD0, 0x04u << 24);   // LDR bit 2 in flat model
        Assert.True(_apic.Deliver(new ApicInterruptMessage(0x43, ApicDeliveryMode.Fixed, true, 0x06, false)));
        Assert.False(_apic.Deliver(new ApicInterruptMessage(0x44, ApicDeliveryMode.Fixed, true, 0x01, false)));
        Assert.True(IrrBit(0x42));
        Assert.True(IrrBit(0x43));
        Assert.False(IrrBit(0x41));
        Assert.False(IrrBit(0x44));
    }

    [Fact]
    public void SubDwordReadsReturnRegisterBytes()
    {
        Assert.Equal(0x14ul, _apic.ReadMmio(0x30, 1));
        Assert.Equal(0x05ul, _apic.ReadMmio(0x32, 1));
    }
}
