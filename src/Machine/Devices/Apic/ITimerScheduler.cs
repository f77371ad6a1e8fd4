namespace JitVirt.Machine.Devices.Apic;

/// <summary>
/// The one thing the APIC devices need from the machine's timer queue: run a callback once the
/// virtual clock reaches a deadline, and forget a callback that is no longer wanted. The lead adapts
/// this to the machine's TimerQueue when wiring; tests use a manual fake.
/// </summary>
public interface ITimerScheduler
{
    /// <summary>Runs <paramref name="callback"/> once, when virtual time reaches <paramref name="deadlineNs"/>.</summary>
    TimerHandle Schedule(long deadlineNs, Action callback);

    /// <summary>Drops a pending callback; a handle that already fired or was cancelled is ignored.</summary>
    void Cancel(TimerHandle handle);
}

/// <summary>Opaque token for one scheduled callback; <see cref="None"/> means "nothing scheduled".</summary>
public readonly record struct TimerHandle(long Id)
{
    public static TimerHandle None => default;

    public bool IsNone => Id == 0;
}
