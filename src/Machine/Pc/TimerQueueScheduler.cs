using JitVirt.Machine.Devices.Apic;
using JitVirt.Machine.Time;

namespace JitVirt.Machine.Pc;

/// <summary>
/// Adapts the APIC's <see cref="ITimerScheduler"/> to the machine's <see cref="TimerQueue"/>. The local
/// APIC has one timer, so a handful of reusable slots covers it; a slot is freed when it fires or is cancelled.
/// </summary>
public sealed class TimerQueueScheduler(TimerQueue queue) : ITimerScheduler
{
    private readonly List<Slot> _slots = [];
    private long _nextId;

    public TimerHandle Schedule(long deadlineNs, Action callback)
    {
        Slot? slot = null;
        foreach (var s in _slots)
        {
            if (s.Callback is null) { slot = s; break; }
        }
        if (slot is null)
        {
            slot = new Slot();
            slot.Timer = queue.CreateTimer(slot.Fire);
            _slots.Add(slot);
        }
        slot.Id = ++_nextId;
        slot.Callback = callback;
        queue.Schedule(slot.Timer, deadlineNs);
        return new TimerHandle(slot.Id);
    }

    public void Cancel(TimerHandle handle)
    {
        if (handle.IsNone) return;
        foreach (var s in _slots)
        {
            if (s.Id != handle.Id || s.Callback is null) continue;
            queue.Cancel(s.Timer);
            s.Callback = null;
            return;
        }
    }

    private sealed class Slot
    {
        public DeviceTimer Timer = null!;
        public long Id;
        public Action? Callback;

        public void Fire(long now)
        {
            var callback = Callback;
            Callback = null;
            callback?.Invoke();
        }
    }
}
