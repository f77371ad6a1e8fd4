using JitVirt.Machine.Devices.Rtc;
using JitVirt.Machine.Time;

namespace JitVirt.Machine.Tests;

public class RtcTests
{
    private readonly ManualClock _clock = new();
    private readonly TimerQueue _timers = new();
    private readonly RecordingLine _irq8 = new();
    private readonly Mc146818Rtc _rtc;

    public RtcTests()
    {
        _rtc = new Mc146818Rtc(_irq8, _clock, _timers);
        _rtc.SetTime(new DateTime(2024, 3, 15, 13, 45, 30));
    }

    private byte Read(int index)
    {
        _rtc.WritePort(0x70, 1, (uint)index);
        return (byte)_rtc.ReadPort(0x71, 1);
    }

    private void Write(int index, byte value)
    {
        _rtc.WritePort(0x70, 1, (uint)index);
        _rtc.WritePort(0x71, 1, value);
    }

    private void Advance(long nanoseconds)
    {
        _clock.Advance(nanoseconds);
        _timers.RunDue(_clock.NowNanoseconds);
    }

    [Fact]
    public void BcdTwentyFourHourIsTheDefault()
    {
        Assert.Equal(0x30, Read(0x00));
        Assert.Equal(0x45, Read(0x02));
        Assert.Equal(0x13, Read(0x04));
        Assert.Equal(0x06, Read(0x06)); // Friday: Sunday = 1
        Assert.Equal(0x15, Read(0x07));
        Assert.Equal(0x03, Read(0x08));
        Assert.Equal(0x24, Read(0x09));
        Assert.Equal(0x20, Read(0x32));
    }

    [Fact]
    public void BinaryModeAndTwelveHourMode()
    {
        Write(0x0B, 0x06); // DM binary, 24h
        Assert.Equal(30, Read(0x00));
        Assert.Equal(13, Read(0x04));
        Write(0x0B, 0x04); // binary, 12h
        Assert.Equal(0x80 | 1, Read(0x04)); // 1 PM
        Write(0x0B, 0x00); // BCD, 12h
        Assert.Equal(0x81, Read(0x04));
    }

    [Fact]
    public void TimeAdvancesWithTheVirtualClock()
    {
        Advance(31_000_000_000);
        Assert.Equal(0x01, Read(0x00));
        Assert.Equal(0x46, Read(0x02));
    }

    [Fact]
    public void SetBitFreezesTimeAndWritesTakeEffectOnRelease()
    {
        Write(0x0B, 0x82); // SET, 24h BCD
        Write(0x04, 0x08);
        Write(0x02, 0x00);
        Write(0x00, 0x00);
        Advance(5_000_000_000);
        Assert.Equal(0x00, Read(0x00)); // frozen while SET
        Write(0x0B, 0x02);
        Advance(2_000_000_000);
        Assert.Equal(0x02, Read(0x00));
        Assert.Equal(0x08, Read(0x04));
    }

    [Fact]
    public void PeriodicInterruptSetsPfAndIrqfAndRegisterCReadClears()
    {
        Write(0x0A, 0x26); // 32.768 kHz, rate 6 = 976.5625 us
        Write(0x0B, 0x42); // PIE, 24h
        Advance(976_000);
        Assert.False(_irq8.Level);
        Advance(1_000);
        Assert.True(_irq8.Level);
        Assert.Equal(0xC0, Read(0x0C)); // IRQF | PF
        Assert.False(_irq8.Level);
        Assert.Equal(0x00, Read(0x0C)); // cleared by the previous read
    }

    [Fact]
    public void PeriodicFlagIsSetWithoutPieButIrqfIsNot()
    {
        Write(0x0A, 0x23); // rate 3 = 122.07 us
        Advance(200_000);
        Assert.Equal(0x40, Read(0x0C));
        Assert.False(_irq8.Level);
    }

    [Fact]
    public void UpdateEndedInterruptOncePerSecond()
    {
        Write(0x0A, 0x20); // no periodic rate
        Write(0x0B, 0x12); // UIE
        Advance(999_000_000);
        Assert.False(_irq8.Level);
        Advance(1_000_000);
        Assert.True(_irq8.Level);
        Assert.Equal(0x90, Read(0x0C)); // IRQF | UF
    }

    [Fact]
    public void AlarmInterruptWhenTimeMatches()
    {
        Write(0x0A, 0x20);
        Write(0x01, 0x32); // alarm at xx:xx:32 (BCD)
        Write(0x03, 0xC0); // don't care
        Write(0x05, 0xFF); // don't care
        Write(0x0B, 0x22); // AIE
        Advance(1_000_000_000);
        Assert.False(_irq8.Level); // :31
        Advance(1_000_000_000);
        Assert.True(_irq8.Level); // :32
        Assert.Equal(0xB0, Read(0x0C) & 0xB0); // IRQF | AF (UF too)
    }

    [Fact]
    public void UpdateInProgressIsSetInTheLast244Microseconds()
    {
        Assert.Equal(0, Read(0x0A) & 0x80);
        Advance(1_000_000_000 - 200_000);
        Assert.Equal(0x80, Read(0x0A) & 0x80);
    }

    [Fact]
    public void RegisterDReportsValidRamAndNvramIsStorage()
    {
        Assert.Equal(0x80, Read(0x0D));
        Write(0x40, 0xA5);
        Assert.Equal(0xA5, Read(0x40));
        Write(0x0C, 0xFF);
        Assert.Equal(0x00, Read(0x0C) & 0x70); // register C is read-only
    }

    [Fact]
    public void IndexBit7MasksNmi()
    {
        _rtc.WritePort(0x70, 1, 0x80 | 0x0D);
        Assert.True(_rtc.NmiMasked);
        Assert.Equal(0x80u, _rtc.ReadPort(0x71, 1)); // index 0Dh selected despite bit 7
        _rtc.WritePort(0x70, 1, 0x0D);
        Assert.False(_rtc.NmiMasked);
    }

    [Fact]
    public void MemorySizeBytesFollowTheQemuSeaBiosLayout()
    {
        _rtc.SetMemorySize(128UL << 20, 2UL << 30);
        Assert.Equal(640, Read(0x15) | Read(0x16) << 8);
        Assert.Equal(0xFFFF, Read(0x17) | Read(0x18) << 8); // 127 MiB in KiB does not fit: capped
        Assert.Equal(0xFFFF, Read(0x30) | Read(0x31) << 8);
        Assert.Equal(112 * 16, Read(0x34) | Read(0x35) << 8); // 64 KiB units above 16 MiB
        Assert.Equal(2 * 16 * 1024, Read(0x5B) | Read(0x5C) << 8 | Read(0x5D) << 16);
        _rtc.SetMemorySize(32UL << 20, 0);
        Assert.Equal(31 * 1024, Read(0x17) | Read(0x18) << 8); // extended memory above 1 MiB in KiB
        Assert.Equal(16 * 16, Read(0x34) | Read(0x35) << 8);
    }
}
