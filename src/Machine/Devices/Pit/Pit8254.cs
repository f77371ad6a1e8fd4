using JitVirt.Machine.Bus;
using JitVirt.Machine.Time;
using static JitVirt.Machine.Devices.Pit.PitControlWord;

namespace JitVirt.Machine.Devices.Pit;

// Departures: IRQ0 follows counter 0's OUT only at timer events, so a one-clock low pulse (modes 2, 4, 5)
// is delivered as a low-then-high pair at its rising edge, and a late event never withdraws a pending
// request before delivering the edge it missed. Reading the control word port returns all ones (3-state).

/// <summary>
/// Intel 8254 programmable interval timer at 40h-43h on the PC's 1.193182 MHz clock. Counter 0 OUT drives
/// IRQ0; counter 2's gate and OUT are reached through port 61h (<see cref="SystemControl.SystemControlPortB"/>).
/// Counts are derived from the virtual clock; only counter 0's OUT edges are scheduled on the timer queue.
/// </summary>
public sealed class Pit8254 : IPortIoDevice
{
    public const ushort BasePort = 0x40; // IBM PC/AT Technical Reference, I/O address map: 8254 timer 040h-05Fh
    public const ushort ControlPort = 0x43;
    public const int Irq = 0;
    public const int ChannelCount = 3;

    private readonly PitChannel[] _channels = [new(), new(), new()];
    private readonly IInterruptLine _irq0;
    private readonly IVirtualClock _clock;
    private readonly TimerQueue _timers;
    private readonly DeviceTimer _irqTimer;
    private long _irqEventTick = long.MaxValue;
    private bool _irqEventRising;
    private bool _irqLevel;

    public Pit8254(IInterruptLine irq0, IVirtualClock clock, TimerQueue timers)
    {
        _irq0 = irq0;
        _clock = clock;
        _timers = timers;
        _irqTimer = timers.CreateTimer(OnIrqEvent);
    }

    public PitChannel Channel(int index) => _channels[index];

    /// <summary>OUT of counter <paramref name="channel"/> now.</summary>
    public bool GetOut(int channel) => _channels[channel].OutAt(CurrentTick());

    /// <summary>Drives the GATE input of <paramref name="channel"/> (counters 0 and 1 are tied high on the PC).</summary>
    public void SetGate(int channel, bool level)
    {
        long tick = CurrentTick();
        _channels[channel].SetGate(level, tick);
        if (channel == 0) OnCounter0Reprogrammed(tick);
    }

    public uint ReadPort(ushort port, int size)
    {
        int index = port - BasePort;
        if ((uint)index >= ChannelCount) return AccessSize.PortMask(size); // control word register is write-only
        return _channels[index].Read(CurrentTick());
    }

    public void WritePort(ushort port, int size, uint value)
    {
        long tick = CurrentTick();
        byte b = (byte)value;
        int index = port - BasePort;
        if (index == ControlPort - BasePort) WriteControl(b, tick);
        else if ((uint)index < ChannelCount)
        {
            _channels[index].WriteCount(b, tick);
            if (index == 0) OnCounter0Reprogrammed(tick);
        }
    }

    private void WriteControl(byte controlWord, long tick)
    {
        int select = controlWord >> SelectShift;
        if (select == ReadBackSelect)
        {
            ReadBack(controlWord, tick);
            return;
        }
        PitChannel channel = _channels[select];
        if (((controlWord >> AccessShift) & AccessMask) == AccessLatch) channel.LatchCount(tick);
        else
        {
            channel.WriteControlWord(controlWord, tick);
            if (select == 0) OnCounter0Reprogrammed(tick);
        }
    }

    /// <summary>8254 datasheet, "Read-Back Command": latch count and/or status of the selected counters.</summary>
    private void ReadBack(byte command, long tick)
    {
        for (int i = 0; i < ChannelCount; i++)
        {
            if ((command & (ReadBackCounter0 << i)) == 0) continue;
            if ((command & ReadBackNotStatus) == 0) _channels[i].LatchStatus(tick);
            if ((command & ReadBackNotCount) == 0) _channels[i].LatchCount(tick);
        }
    }

    private void OnCounter0Reprogrammed(long tick)
    {
        DriveIrq(_channels[0].OutAt(tick));
        ScheduleIrqEvent(tick);
    }

    private void OnIrqEvent(long now)
    {
        long tick = Math.Max(CurrentTick(), _irqEventTick);
        bool rose = _irqEventRising;
        if (!rose)
        {
            // A late falling-edge event: deliver a rising edge that also passed, rather than losing it.
            long next = _channels[0].NextOutEvent(_irqEventTick, out bool nextRising);
            rose = nextRising && next <= tick;
        }
        if (rose)
        {
            if (_irqLevel) DriveIrq(false);
            DriveIrq(true);
        }
        else
        {
            DriveIrq(_channels[0].OutAt(tick));
        }
        ScheduleIrqEvent(tick);
    }

    private void ScheduleIrqEvent(long tick)
    {
        _irqEventTick = _channels[0].NextOutEvent(tick, out _irqEventRising);
        if (_irqEventTick == long.MaxValue) _timers.Cancel(_irqTimer);
        else _timers.Schedule(_irqTimer, PitTiming.NanosecondsAt(_irqEventTick));
    }

    private void DriveIrq(bool level)
    {
        if (level == _irqLevel) return;
        _irqLevel = level;
        _irq0.SetLevel(level);
    }

    private long CurrentTick() => PitTiming.TickAt(_clock.NowNanoseconds);
}
