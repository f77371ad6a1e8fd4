namespace JitVirt.Machine.Time;

/// <summary>
/// One reusable timer slot owned by a device. Created once through <see cref="TimerQueue.CreateTimer"/>,
/// then scheduled, rescheduled and cancelled without allocating.
/// </summary>
public sealed class DeviceTimer
{
    internal DeviceTimer(TimerQueue owner, Action<long> callback)
    {
        Owner = owner;
        Callback = callback;
    }

    internal TimerQueue Owner { get; }

    /// <summary>Called with the "now" passed to <see cref="TimerQueue.RunDue"/>.</summary>
    internal Action<long> Callback { get; }

    /// <summary>Position in the owner's heap, or -1 when not scheduled.</summary>
    internal int HeapIndex { get; set; } = -1;

    /// <summary>Absolute virtual-nanosecond deadline; meaningful only while <see cref="IsScheduled"/>.</summary>
    public long Deadline { get; internal set; }

    public bool IsScheduled => HeapIndex >= 0;
}
