using JitVirt.Machine.Time;

namespace JitVirt.Machine.Devices.Apic;

/// <summary>
/// The local APIC timer: one-shot, periodic and TSC-deadline modes (SDM vol.3 §11.5.4).
/// Departures from the manual: the current count is derived from the virtual clock on every read
/// instead of being decremented; the TSC is assumed to be the virtual clock scaled by
/// <c>tscFrequencyHz</c> with no offset; a TSC deadline already in the past fires synchronously.
/// </summary>
public sealed class LocalApicTimer
{
    /// <summary>
    /// APIC bus / core crystal clock the timer divides down. The SDM leaves it model specific
    /// (§11.5.4); 1 GHz matches KVM's 1 ns default bus cycle and keeps the maths exact.
    /// </summary>
    public const long BusFrequencyHz = 1_000_000_000;

    private const long NanosecondsPerSecond = 1_000_000_000;

    /// <summary>Writable bits 0, 1 and 3 of the divide configuration register (SDM vol.3 §11.5.4 Figure 11-10).</summary>
    public const uint DivideConfigurationWritable = 0b1011;

    private readonly IVirtualClock _clock;
    private readonly ITimerScheduler _scheduler;
    private readonly long _tscFrequencyHz;
    private readonly Action _expired;

    public LocalApicTimer(IVirtualClock clock, ITimerScheduler scheduler, long tscFrequencyHz, Action expired)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tscFrequencyHz);
        _clock = clock;
        _scheduler = scheduler;
        _tscFrequencyHz = tscFrequencyHz;
        _expired = expired;
    }

    public LocalApicTimerState State { get; } = new();

    /// <summary>Divisor selected by the divide configuration register (SDM vol.3 §11.5.4 Figure 11-10).</summary>
    public static int Divisor(uint divideConfiguration)
    {
        uint code = (divideConfiguration & 0b11) | ((divideConfiguration >> 1) & 0b100);
        return code switch
        {
            0b000 => 2, 0b001 => 4, 0b010 => 8, 0b011 => 16,
            0b100 => 32, 0b101 => 64, 0b110 => 128, _ => 1,
        };
    }

    public void Reset()
    {
        Disarm();
        State.Mode = LocalApicTimerMode.OneShot;
        State.InitialCount = 0;
        State.DivideConfiguration = 0;
        State.TscDeadline = 0;
    }

    /// <summary>LVT timer mode changed. Entering or leaving TSC-deadline mode disarms the timer (SDM vol.3 §11.5.4.1).</summary>
    public void SetMode(LocalApicTimerMode mode)
    {
        if (mode == State.Mode) return;
        bool deadlineTransition = mode == LocalApicTimerMode.TscDeadline || State.Mode == LocalApicTimerMode.TscDeadline;
        State.Mode = mode;
        if (!deadlineTransition) return;
        Disarm();
        State.InitialCount = 0;
        State.TscDeadline = 0;
    }

    /// <summary>Writing the initial count (re)starts the countdown; zero stops it. Ignored in TSC-deadline mode (SDM vol.3 §11.5.4).</summary>
    public void WriteInitialCount(uint value)
    {
        if (State.Mode == LocalApicTimerMode.TscDeadline) return;
        Disarm();
        State.InitialCount = value;
        if (value == 0) return;
        State.StartNs = _clock.NowNanoseconds;
        State.Counting = true;
        ScheduleNextExpiry();
    }

    /// <summary>Changing the divisor mid-count keeps the current count and continues at the new rate.</summary>
    public void WriteDivideConfiguration(uint value)
    {
        uint current = ReadCurrentCount();
        bool wasCounting = State.Counting;
        Disarm();
        State.DivideConfiguration = value & DivideConfigurationWritable;
        if (!wasCounting) return;
        long now = _clock.NowNanoseconds;
        State.StartNs = now - TicksToNanoseconds(State.InitialCount - (long)current);
        State.Counting = true;
        ScheduleNextExpiry();
    }

    /// <summary>Current count; always zero in TSC-deadline mode or once a one-shot count has expired.</summary>
    public uint ReadCurrentCount()
    {
        if (!State.Counting || State.InitialCount == 0) return 0;
        long elapsedTicks = NanosecondsToTicks(_clock.NowNanoseconds - State.StartNs);
        if (State.Mode == LocalApicTimerMode.Periodic)
            return (uint)(State.InitialCount - elapsedTicks % State.InitialCount);
        return elapsedTicks >= State.InitialCount ? 0 : (uint)(State.InitialCount - elapsedTicks);
    }

    /// <summary>IA32_TSC_DEADLINE read: zero outside TSC-deadline mode (SDM vol.3 §11.5.4.1).</summary>
    public ulong ReadTscDeadline() => State.Mode == LocalApicTimerMode.TscDeadline ? State.TscDeadline : 0;

    /// <summary>IA32_TSC_DEADLINE write: arms for a non-zero TSC value, disarms for zero, ignored in other modes.</summary>
    public void WriteTscDeadline(ulong deadline)
    {
        if (State.Mode != LocalApicTimerMode.TscDeadline) return;
        Disarm();
        State.TscDeadline = deadline;
        if (deadline == 0) return;
        long deadlineNs = TscToNanosecondsCeiling(deadline);
        if (deadlineNs <= _clock.NowNanoseconds)
        {
            FireTscDeadline();
            return;
        }
        Schedule(deadlineNs);
    }

    /// <summary>Time-stamp counter as this timer sees it: the virtual clock scaled to the TSC rate.</summary>
    public ulong CurrentTsc() => (ulong)((Int128)_clock.NowNanoseconds * _tscFrequencyHz / NanosecondsPerSecond);

    private void ScheduleNextExpiry()
    {
        long period = PeriodNanoseconds();
        long now = _clock.NowNanoseconds;
        long elapsed = now - State.StartNs;
        long periodsDone = State.Mode == LocalApicTimerMode.Periodic ? elapsed / period : 0;
        Schedule(State.StartNs + (periodsDone + 1) * period);
    }

    private void Schedule(long deadlineNs)
    {
        long generation = ++State.Generation;
        State.Pending = _scheduler.Schedule(deadlineNs, () => OnDeadline(generation));
    }

    private void OnDeadline(long generation)
    {
        if (generation != State.Generation) return;
        State.Pending = TimerHandle.None;
        if (State.Mode == LocalApicTimerMode.TscDeadline) { FireTscDeadline(); return; }
        if (!State.Counting) return;
        if (State.Mode == LocalApicTimerMode.Periodic) ScheduleNextExpiry();
        else State.Counting = false;
        _expired();
    }

    /// <summary>Deadline reached: the MSR clears to zero and the timer interrupt is raised (SDM vol.3 §11.5.4.1).</summary>
    private void FireTscDeadline()
    {
        State.TscDeadline = 0;
        _expired();
    }

    private void Disarm()
    {
        State.Generation++;
        State.Counting = false;
        if (State.Pending.IsNone) return;
        _scheduler.Cancel(State.Pending);
        State.Pending = TimerHandle.None;
    }

    private long PeriodNanoseconds() => Math.Max(1, TicksToNanoseconds(State.InitialCount));

    private long TicksToNanoseconds(long ticks) =>
        (long)((Int128)ticks * Divisor(State.DivideConfiguration) * NanosecondsPerSecond / BusFrequencyHz);

    private long NanosecondsToTicks(long ns) =>
        (long)((Int128)ns * BusFrequencyHz / ((Int128)NanosecondsPerSecond * Divisor(State.DivideConfiguration)));

    private long TscToNanosecondsCeiling(ulong tsc)
    {
        Int128 scaled = (Int128)tsc * NanosecondsPerSecond;
        Int128 ns = (scaled + _tscFrequencyHz - 1) / _tscFrequencyHz;
        return ns > long.MaxValue ? long.MaxValue : (long)ns;
    }
}
