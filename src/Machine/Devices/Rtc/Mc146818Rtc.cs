using JitVirt.Machine.Bus;
using JitVirt.Machine.Time;
using static JitVirt.Machine.Devices.Rtc.RtcRegisters;

namespace JitVirt.Machine.Devices.Rtc;

// Departures from the MC146818A datasheet: the day-of-week byte is derived from the date (Sunday = 1)
// rather than counted independently; the alarm is compared only at update cycles the device observes
// (every second while AIE is set, otherwise when register C is read); the square-wave output is absent.

/// <summary>
/// Motorola MC146818A real-time clock and CMOS RAM behind the PC index/data ports 70h/71h (index bit 7
/// masks NMI). Time and flags are derived from the virtual clock; PF/UF/AF interrupts drive IRQ8.
/// </summary>
public sealed class Mc146818Rtc : IPortIoDevice
{
    public const ushort IndexPort = 0x70; // IBM PC/AT Technical Reference: CMOS RAM address register 070h (bit 7 = NMI mask)
    public const ushort DataPort = 0x71;
    public const int Irq = 8;
    private const byte IndexMask = 0x7F;
    private const byte NmiMaskBit = 0x80;
    private const long NanosecondsPerSecond = 1_000_000_000;
    private const long UpdateInProgressNanoseconds = 244_000; // datasheet, "Update Cycle": UIP rises 244 us before the update
    private const double NanosecondsPer32KhzCycle = 1e9 / 32768.0;

    private readonly IInterruptLine _irq;
    private readonly IVirtualClock _clock;
    private readonly TimerQueue _timers;
    private readonly DeviceTimer _timer;
    private bool _irqLevel;

    public Mc146818Rtc(IInterruptLine irq, IVirtualClock clock, TimerQueue timers)
    {
        _irq = irq;
        _clock = clock;
        _timers = timers;
        _timer = timers.CreateTimer(OnTimer);
        State.Ram[RegisterD] = ValidRamAndTime;
        SetTime(State.BaseTime);
    }

    public Mc146818State State { get; } = new();

    /// <summary>Port 70h bit 7: NMI disabled while set.</summary>
    public bool NmiMasked => State.NmiMasked;

    /// <summary>Sets the wall-clock time the RTC counts from (the machine passes host local or UTC time).</summary>
    public void SetTime(DateTime time)
    {
        long now = _clock.NowNanoseconds;
        State.BaseTime = time;
        State.AnchorNanoseconds = now;
        State.LastSecondIndex = SecondIndex(now);
        State.LastPeriodIndex = PeriodIndex(now);
        Reschedule(now);
    }

    public DateTime CurrentTime => TimeAt(_clock.NowNanoseconds);

    public byte ReadNvram(int index) => State.Ram[index & IndexMask];

    public void WriteNvram(int index, byte value) => State.Ram[index & IndexMask] = value;

    /// <summary>
    /// Fills the memory-size bytes the way QEMU's PC board does for SeaBIOS: 15h-16h base memory (640 KiB),
    /// 17h-18h and 30h-31h extended memory above 1 MiB in KiB (max FFFFh), 34h-35h memory above 16 MiB below
    /// 4 GiB in 64 KiB units, 5Bh-5Dh memory above 4 GiB in 64 KiB units.
    /// </summary>
    public void SetMemorySize(ulong bytesBelow4Gib, ulong bytesAbove4Gib)
    {
        const ulong KiB = 1024, MiB = 1024 * KiB, Chunk = 64 * KiB;
        WriteWord(0x15, 640);
        ulong extendedKib = bytesBelow4Gib > MiB ? (bytesBelow4Gib - MiB) / KiB : 0;
        WriteWord(0x17, (int)Math.Min(extendedKib, 0xFFFF));
        WriteWord(0x30, (int)Math.Min(extendedKib, 0xFFFF));
        ulong above16M = bytesBelow4Gib > 16 * MiB ? (bytesBelow4Gib - 16 * MiB) / Chunk : 0;
        WriteWord(0x34, (int)Math.Min(above16M, 0xFFFF));
        ulong high = bytesAbove4Gib / Chunk;
        State.Ram[0x5B] = (byte)high;
        State.Ram[0x5C] = (byte)(high >> 8);
        State.Ram[0x5D] = (byte)(high >> 16);
    }

    public uint ReadPort(ushort port, int size)
    {
        if (port != DataPort) return AccessSize.PortMask(size); // the index register is write-only
        return ReadRegister(State.Index);
    }

    public void WritePort(ushort port, int size, uint value)
    {
        if (port == IndexPort)
        {
            State.Index = (int)(value & IndexMask);
            State.NmiMasked = (value & NmiMaskBit) != 0;
            return;
        }
        WriteRegister(State.Index, (byte)value);
    }

    private byte ReadRegister(int index)
    {
        long now = _clock.NowNanoseconds;
        switch (index)
        {
            case RegisterA: return (byte)(State.RegisterA | (UpdateInProgressAt(now) ? UpdateInProgress : 0));
            case RegisterB: return State.RegisterB;
            case RegisterC: return ReadAndClearFlags(now);
            case RegisterD: return ValidRamAndTime; // VRT: battery good
            default:
                if (IsClockByte(index) && !SetMode) return EncodeClockByte(index, TimeAt(now));
                return State.Ram[index];
        }
    }

    private void WriteRegister(int index, byte value)
    {
        long now = _clock.NowNanoseconds;
        switch (index)
        {
            case RegisterA: WriteRegisterA(value, now); break;
            case RegisterB: WriteRegisterB(value, now); break;
            case RegisterC: case RegisterD: break; // read-only
            default:
                if (IsClockByte(index) && !SetMode)
                {
                    FreezeTimeIntoRam(now);
                    State.Ram[index] = value;
                    ResumeTimeFromRam(now);
                }
                else State.Ram[index] = value;
                break;
        }
    }

    private void WriteRegisterA(byte value, long now)
    {
        UpdateFlags(now);
        State.RegisterA = (byte)(value & ~UpdateInProgress);
        State.LastPeriodIndex = PeriodIndex(now);
        Reschedule(now);
    }

    private void WriteRegisterB(byte value, long now)
    {
        UpdateFlags(now);
        bool wasSet = SetMode;
        if ((value & Set) != 0) value &= unchecked((byte)~UpdateEndedInterruptEnable); // "UIE is cleared when SET goes high"
        if (!wasSet && (value & Set) != 0) FreezeTimeIntoRam(now);
        State.RegisterB = value;
        if (wasSet && !SetMode) ResumeTimeFromRam(now);
        UpdateIrq();
        Reschedule(now);
    }

    private byte ReadAndClearFlags(long now)
    {
        UpdateFlags(now);
        byte flags = State.Flags;
        State.Flags = 0; // "all flag bits in register C are cleared after a read"
        UpdateIrq();
        Reschedule(now);
        return flags;
    }

    private void OnTimer(long now)
    {
        now = Math.Max(now, _clock.NowNanoseconds);
        UpdateFlags(now);
        Reschedule(now);
    }

    /// <summary>Sets PF/UF/AF for periodic edges and update cycles that happened since the last look.</summary>
    private void UpdateFlags(long now)
    {
        if (!OscillatorRunning) return;
        long period = PeriodIndex(now);
        if (PeriodicRate != 0 && period > State.LastPeriodIndex) State.Flags |= PeriodicFlag;
        State.LastPeriodIndex = period;
        if (!SetMode)
        {
            long second = SecondIndex(now);
            if (second > State.LastSecondIndex)
            {
                State.Flags |= UpdateEndedFlag;
                if (AlarmMatches(TimeAt(now))) State.Flags |= AlarmFlag;
            }
            State.LastSecondIndex = second;
        }
        UpdateIrq();
    }

    private void UpdateIrq()
    {
        byte enabled = (byte)(State.RegisterB & (PeriodicInterruptEnable | AlarmInterruptEnable | UpdateEndedInterruptEnable));
        // IRQF = PF·PIE + AF·AIE + UF·UIE (flag and enable bits share positions 6-4).
        if ((State.Flags & enabled) != 0) State.Flags |= InterruptRequestFlag;
        bool level = (State.Flags & InterruptRequestFlag) != 0;
        if (level == _irqLevel) return;
        _irqLevel = level;
        _irq.SetLevel(level);
    }

    private void Reschedule(long now)
    {
        long next = long.MaxValue;
        if (OscillatorRunning)
        {
            if ((State.RegisterB & PeriodicInterruptEnable) != 0 && PeriodicRate != 0)
                next = PeriodStart(PeriodIndex(now) + 1);
            if ((State.RegisterB & (UpdateEndedInterruptEnable | AlarmInterruptEnable)) != 0 && !SetMode)
                next = Math.Min(next, NextSecondBoundary(now));
        }
        if (next == long.MaxValue) _timers.Cancel(_timer);
        else _timers.Schedule(_timer, next);
    }

    private bool SetMode => (State.RegisterB & Set) != 0;
    private bool Binary => (State.RegisterB & DataModeBinary) != 0;
    private bool Hours24Mode => (State.RegisterB & Hours24) != 0;
    private bool OscillatorRunning => (State.RegisterA & DividerMask) == DividerNormal32Khz;
    private int PeriodicRate => State.RegisterA & RateMask;

    /// <summary>Datasheet Table 5 (32.768 kHz time base): RS 1-2 repeat rates 8-9; RS n ≥ 3 divides by 2^(n-1).</summary>
    private long PeriodNanosecondsTimes(long count)
    {
        int rate = PeriodicRate;
        int shift = rate <= 2 ? rate + 6 : rate - 1;
        return (long)((double)(count << shift) * NanosecondsPer32KhzCycle);
    }

    private long PeriodIndex(long now)
    {
        if (PeriodicRate == 0) return 0;
        long periodNs = Math.Max(1, PeriodNanosecondsTimes(1));
        return now / periodNs;
    }

    private long PeriodStart(long index) => index * Math.Max(1, PeriodNanosecondsTimes(1));

    private DateTime TimeAt(long now) => State.BaseTime.AddTicks((now - State.AnchorNanoseconds) / 100);

    private long SecondIndex(long now) => TimeAt(now).Ticks / TimeSpan.TicksPerSecond;

    private long NextSecondBoundary(long now)
    {
        long fractionTicks = TimeAt(now).Ticks % TimeSpan.TicksPerSecond;
        return now + (TimeSpan.TicksPerSecond - fractionTicks) * 100;
    }

    private bool UpdateInProgressAt(long now)
    {
        if (SetMode || !OscillatorRunning) return false;
        long fractionTicks = TimeAt(now).Ticks % TimeSpan.TicksPerSecond;
        return (TimeSpan.TicksPerSecond - fractionTicks) * 100 <= UpdateInProgressNanoseconds;
    }

    private bool AlarmMatches(DateTime time) =>
        AlarmByteMatches(SecondsAlarm, EncodeClockByte(Seconds, time))
        && AlarmByteMatches(MinutesAlarm, EncodeClockByte(Minutes, time))
        && AlarmByteMatches(HoursAlarm, EncodeClockByte(Hours, time));

    private bool AlarmByteMatches(int alarmIndex, byte current)
    {
        byte alarm = State.Ram[alarmIndex];
        return (alarm & AlarmDontCare) == AlarmDontCare || alarm == current; // "don't care" code 11xxxxxx
    }

    private static bool IsClockByte(int index) =>
        index is Seconds or Minutes or Hours or Weekday or DayOfMonth or Month or Year or Century;

    private byte EncodeClockByte(int index, DateTime time) => index switch
    {
        Seconds => RtcTimeCodec.Encode(time.Second, Binary),
        Minutes => RtcTimeCodec.Encode(time.Minute, Binary),
        Hours => RtcTimeCodec.EncodeHour(time.Hour, Binary, Hours24Mode),
        Weekday => RtcTimeCodec.Encode((int)time.DayOfWeek + 1, Binary),
        DayOfMonth => RtcTimeCodec.Encode(time.Day, Binary),
        Month => RtcTimeCodec.Encode(time.Month, Binary),
        Year => RtcTimeCodec.Encode(time.Year % 100, Binary),
        _ => RtcTimeCodec.Encode(time.Year / 100, Binary),
    };

    private void FreezeTimeIntoRam(long now)
    {
        DateTime time = TimeAt(now);
        foreach (int index in (ReadOnlySpan<int>)[Seconds, Minutes, Hours, Weekday, DayOfMonth, Month, Year, Century])
            State.Ram[index] = EncodeClockByte(index, time);
    }

    private void ResumeTimeFromRam(long now)
    {
        byte[] ram = State.Ram;
        int year = Math.Clamp(RtcTimeCodec.Decode(ram[Century], Binary) * 100 + RtcTimeCodec.Decode(ram[Year], Binary), 1, 9999);
        int month = Math.Clamp(RtcTimeCodec.Decode(ram[Month], Binary), 1, 12);
        int day = Math.Clamp(RtcTimeCodec.Decode(ram[DayOfMonth], Binary), 1, DateTime.DaysInMonth(year, month));
        int hour = Math.Clamp(RtcTimeCodec.DecodeHour(ram[Hours], Binary, Hours24Mode), 0, 23);
        int minute = Math.Clamp(RtcTimeCodec.Decode(ram[Minutes], Binary), 0, 59);
        int second = Math.Clamp(RtcTimeCodec.Decode(ram[Seconds], Binary), 0, 59);
        State.BaseTime = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified);
        State.AnchorNanoseconds = now;
        State.LastSecondIndex = SecondIndex(now);
    }

    private void WriteWord(int index, int value)
    {
        State.Ram[index] = (byte)value;
        State.Ram[index + 1] = (byte)(value >> 8);
    }
}
