using JitVirt.Machine.Devices.Acpi;

namespace JitVirt.MachineFirmware.Tests;

public sealed class AcpiPmTests
{
    private readonly FakeClock _clock = new();
    private readonly RecordingLine _sci = new();
    private readonly AcpiPmDevice _pm;

    public AcpiPmTests() => _pm = new AcpiPmDevice(_clock, _sci, 0x600);

    [Fact]
    public void PmTimerRunsAt3579545HzAndWrapsAt24Bits()
    {
        _clock.NowNanoseconds = 1_000_000_000;
        Assert.Equal(3_579_545u, _pm.ReadPort(0x608, 4));
        _clock.NowNanoseconds = 10_000_000_000;
        Assert.Equal((uint)(35_795_450 % (1 << 24)), _pm.ReadPort(0x608, 4));
    }

    [Fact]
    public void PmTimerIsMonotonicOverShortIntervals()
    {
        _clock.NowNanoseconds = 1_000;
        uint a = _pm.ReadPort(0x608, 4);
        _clock.NowNanoseconds = 2_000_000;
        uint b = _pm.ReadPort(0x608, 4);
        Assert.Equal(7_159u - 3u, b - a); // 2 ms minus 1 µs of 3.579545 MHz ticks: 7159 - 3
    }

    [Fact]
    public void SleepEnableWithS5TypePowersOff()
    {
        int powerOffs = 0;
        _pm.PowerOff = () => powerOffs++;
        _pm.WritePort(0x604, 2, 5u << 10);               // SLP_TYP only
        Assert.Equal(0, powerOffs);
        _pm.WritePort(0x604, 2, (5u << 10) | (1u << 13)); // SLP_TYP = 5, SLP_EN
        Assert.Equal(1, powerOffs);
        Assert.Equal(0u, _pm.ReadPort(0x604, 2) & (1u << 13)); // SLP_EN reads zero
    }

    [Fact]
    public void OtherSleepTypesDoNotPowerOff()
    {
        int powerOffs = 0;
        _pm.PowerOff = () => powerOffs++;
        _pm.WritePort(0x604, 2, (1u << 10) | (1u << 13));
        Assert.Equal(0, powerOffs);
    }

    [Fact]
    public void SciEnabledFromResetWithoutSmiCommandPort()
    {
        Assert.Equal(1u, _pm.ReadPort(0x604, 2) & 1);
    }

    [Fact]
    public void PowerButtonRaisesSciWhenEnabledAndClearsOnWriteOne()
    {
        _pm.PressPowerButton();
        Assert.False(_sci.Level);                       // PWRBTN_EN clear
        _pm.WritePort(0x602, 2, 1u << 8);
        Assert.True(_sci.Level);
        Assert.Equal(1u << 8, _pm.ReadPort(0x600, 2) & (1u << 8));
        _pm.WritePort(0x600, 2, 1u << 8);
        Assert.False(_sci.Level);
        Assert.Equal(0u, _pm.ReadPort(0x600, 2) & (1u << 8));
    }

    [Fact]
    public void GlobalLockEnableReadsBackAsWritten()
    {
        // PM1_EN bit 5 is GBL_EN (ACPI 6.x Table 4.17), read/write; ACPICA writes it and checks the read-back.
        const uint gblEn = 1u << 5;
        _pm.WritePort(0x602, 2, gblEn);
        Assert.Equal(gblEn, _pm.ReadPort(0x602, 2));
        Assert.Equal(gblEn << 16, _pm.ReadPort(0x600, 4) & (gblEn << 16)); // the dword view of PM1_STS:PM1_EN
        Assert.False(_sci.Level);                        // GBL_STS is never set: no SCI from the enable alone
        _pm.WritePort(0x602, 2, 0);
        Assert.Equal(0u, _pm.ReadPort(0x602, 2));
    }

    [Fact]
    public void TimerStatusSetsWhenBit23Toggles()
    {
        Assert.Equal(0u, _pm.ReadPort(0x600, 2) & 1);
        // 2^23 ticks at 3.579545 MHz ≈ 2.3435 s
        _clock.NowNanoseconds = 2_344_000_000;
        Assert.Equal(1u, _pm.ReadPort(0x600, 2) & 1);
        _pm.WritePort(0x600, 2, 1);
        Assert.Equal(0u, _pm.ReadPort(0x600, 2) & 1);
    }
}
