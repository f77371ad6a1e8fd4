using JitVirt.Machine.Devices.Pit;
using JitVirt.Machine.Devices.SystemControl;
using JitVirt.Machine.Time;

namespace JitVirt.Machine.Tests;

public class PitTests
{
    private readonly ManualClock _clock = new();
    private readonly TimerQueue _timers = new();
    private readonly RecordingLine _irq0 = new();
    private readonly Pit8254 _pit;
    private readonly SystemControlPortB _portB;

    public PitTests()
    {
        _pit = new Pit8254(_irq0, _clock, _timers);
        _portB = new SystemControlPortB(_pit, _clock);
    }

    private void Out(ushort port, byte value) => _pit.WritePort(port, 1, value);
    private byte In(ushort port) => (byte)_pit.ReadPort(port, 1);

    /// <summary>Moves the clock to the start of CLK <paramref name="tick"/> and runs due timers.</summary>
    private void AtTick(long tick)
    {
        _clock.Set(PitTiming.NanosecondsAt(tick));
        _timers.RunDue(_clock.NowNanoseconds);
    }

    private int ReadWord(ushort port) => In(port) | In(port) << 8;

    private bool Out2Bit() => (_portB.ReadPort(0x61, 1) & 0x20) != 0;

    [Fact]
    public void Mode0OutRisesAtTerminalCountSeenThroughPort61Bit5()
    {
        // Linux pit_calibrate_tsc: gate on, speaker off; counter 2 mode 0 LSB/MSB binary; count 1000.
        _portB.WritePort(0x61, 1, (_portB.ReadPort(0x61, 1) & ~0x02u) | 0x01);
        Out(0x43, 0xB0);
        Out(0x42, 0xE8);
        Out(0x42, 0x03);
        Assert.False(Out2Bit()); // mode 0: OUT low after the control word
        AtTick(500);
        Assert.Equal(1000 - 499, ReadWord(0x42)); // loaded on the first CLK, then one per CLK
        AtTick(1000);
        Assert.False(Out2Bit()); // N CLKs after load ...
        AtTick(1001);
        Assert.True(Out2Bit()); // ... "OUT does not go high until N+1 CLK pulses after the initial count is written"
        AtTick(70_000);
        Assert.True(Out2Bit()); // stays high (counter wraps, OUT unchanged)
    }

    [Fact]
    public void Mode0GateLowSuspendsCounting()
    {
        _portB.WritePort(0x61, 1, 0x01);
        Out(0x43, 0xB0);
        Out(0x42, 100);
        Out(0x42, 0);
        AtTick(11); // 10 counted
        _portB.WritePort(0x61, 1, 0x00);
        AtTick(500);
        Assert.Equal(90, ReadWord(0x42));
        Assert.False(Out2Bit());
        _portB.WritePort(0x61, 1, 0x01);
        AtTick(589);
        Assert.False(Out2Bit());
        AtTick(590);
        Assert.True(Out2Bit());
    }

    [Fact]
    public void CounterLatchInMode3FreezesTheCountUntilRead()
    {
        Out(0x43, 0x36); // counter 0, LSB/MSB, mode 3, binary
        Out(0x40, 0xE8);
        Out(0x40, 0x03); // 1000 (even): CE decrements by two
        AtTick(101); // 100 CLKs after the load
        Out(0x43, 0x00); // counter latch command, counter 0
        AtTick(200);
        Out(0x43, 0x00); // a second latch before reading is ignored
        AtTick(300);
        Assert.Equal(1000 - 2 * 100, ReadWord(0x40));
        Assert.Equal(1000 - 2 * 299, ReadWord(0x40)); // latch released: live count again
    }

    [Fact]
    public void Mode3OddCountIsHighForNPlusOneHalvesAndLowForNMinusOneHalves()
    {
        _portB.WritePort(0x61, 1, 0x01);
        Out(0x43, 0xB6); // counter 2 mode 3
        Out(0x42, 5);
        Out(0x42, 0);
        bool[] expected = [true, true, true, false, false, true, true, true, false, false];
        for (int i = 0; i < expected.Length; i++)
        {
            AtTick(1 + i);
            Assert.True(expected[i] == Out2Bit(), $"CLK {i} after load");
        }
    }

    [Fact]
    public void ReadBackLatchesStatusThenCount()
    {
        Out(0x43, 0x34); // counter 0, LSB/MSB, mode 2, binary
        Out(0x40, 100);
        Out(0x40, 0);
        Out(0x43, 0xE2); // read-back: status only, counter 0
        Assert.Equal(0x80 | 0x40 | 0x34, In(0x40)); // OUT high, null count (not yet loaded), RW/mode/BCD bits
        AtTick(11);
        Out(0x43, 0xC2); // read-back: count and status, counter 0
        Assert.Equal(0x80 | 0x34, In(0x40)); // status first; null count cleared by the load
        AtTick(50);
        Assert.Equal(100 - 10, ReadWord(0x40)); // count latched at the read-back
    }

    [Fact]
    public void BcdCountingReadsDecimalDigits()
    {
        _portB.WritePort(0x61, 1, 0x01);
        Out(0x43, 0xB1); // counter 2, LSB/MSB, mode 0, BCD
        Out(0x42, 0x00);
        Out(0x42, 0x10); // 1000 decimal
        AtTick(11);
        Assert.Equal(0x0990, ReadWord(0x42));
    }

    [Fact]
    public void LsbOnlyAndMsbOnlyAccessModes()
    {
        _portB.WritePort(0x61, 1, 0x01);
        Out(0x43, 0x90); // counter 2, LSB only, mode 0
        Out(0x42, 50);
        AtTick(11);
        Assert.Equal(40, In(0x42));
        Out(0x43, 0xA0); // counter 2, MSB only: count = 0x0200
        Out(0x42, 0x02);
        AtTick(12 + 0x100);
        Assert.Equal(0x01, In(0x42)); // 0x200 - 0x100 = 0x100
    }

    [Fact]
    public void Mode2RaisesIrq0OncePerPeriod()
    {
        Out(0x43, 0x34);
        Out(0x40, 100);
        Out(0x40, 0);
        int afterProgramming = _irq0.RisingEdges; // OUT goes high on the control word
        AtTick(100);
        Assert.Equal(afterProgramming, _irq0.RisingEdges);
        AtTick(101); // reload at the end of the first period
        Assert.Equal(afterProgramming + 1, _irq0.RisingEdges);
        AtTick(201);
        AtTick(301);
        Assert.Equal(afterProgramming + 3, _irq0.RisingEdges);
        Assert.True(_irq0.Level);
    }

    [Fact]
    public void Mode4StrobesIrq0OnceAfterTerminalCount()
    {
        Out(0x43, 0x38); // Linux one-shot: counter 0, mode 4
        Out(0x40, 50);
        Out(0x40, 0);
        int before = _irq0.RisingEdges;
        AtTick(51); // terminal count: OUT low for one CLK
        Assert.Equal(before, _irq0.RisingEdges);
        AtTick(52);
        Assert.Equal(before + 1, _irq0.RisingEdges);
        AtTick(70_000);
        Assert.Equal(before + 1, _irq0.RisingEdges); // no further strobes
    }

    [Fact]
    public void RefreshToggleFlipsOverTime()
    {
        uint first = _portB.ReadPort(0x61, 1) & 0x10;
        _clock.Advance(15_085);
        uint second = _portB.ReadPort(0x61, 1) & 0x10;
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void ControlPortReadsAsOpenBus()
    {
        Assert.Equal(0xFF, In(0x43));
    }
}
