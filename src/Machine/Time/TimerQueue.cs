namespace JitVirt.Machine.Time;

/// <summary>
/// Deadline scheduler for device timers: a binary min-heap of <see cref="DeviceTimer"/> slots keyed by
/// absolute virtual nanoseconds. The machine's run loop calls <see cref="RunDue"/> and may use
/// <see cref="NextDeadline"/> to bound how long the CPU runs (or sleeps) before the next event.
/// Single-threaded: only the machine thread touches it. Rescheduling moves a slot in place (no allocation).
/// </summary>
public sealed class TimerQueue
{
    private DeviceTimer[] _heap = new DeviceTimer[16];
    private int _count;

    /// <summary>Deadline of the earliest scheduled timer, or <see cref="long.MaxValue"/> if none.</summary>
    public long NextDeadline => _count == 0 ? long.MaxValue : _heap[0].Deadline;

    public int ScheduledCount => _count;

    public DeviceTimer CreateTimer(Action<long> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return new DeviceTimer(this, callback);
    }

    /// <summary>Arms (or re-arms) <paramref name="timer"/> for the absolute <paramref name="deadline"/>.</summary>
    public void Schedule(DeviceTimer timer, long deadline)
    {
        if (timer.Owner != this) throw new ArgumentException("Timer belongs to another queue.", nameof(timer));
        if (timer.IsScheduled)
        {
            long previous = timer.Deadline;
            timer.Deadline = deadline;
            if (deadline < previous) SiftUp(timer.HeapIndex); else SiftDown(timer.HeapIndex);
            return;
        }
        if (_count == _heap.Length) Array.Resize(ref _heap, _heap.Length * 2);
        timer.Deadline = deadline;
        Place(timer, _count++);
        SiftUp(timer.HeapIndex);
    }

    public void Cancel(DeviceTimer timer)
    {
        if (timer.Owner != this || !timer.IsScheduled) return;
        RemoveAt(timer.HeapIndex);
    }

    /// <summary>
    /// Fires, in deadline order, every timer whose deadline is at or before <paramref name="now"/>.
    /// A callback may reschedule its own timer; one rescheduled at or before <paramref name="now"/> fires
    /// again in the same call. Returns the number of callbacks run.
    /// </summary>
    public int RunDue(long now)
    {
        int fired = 0;
        while (_count > 0 && _heap[0].Deadline <= now)
        {
            DeviceTimer due = _heap[0];
            RemoveAt(0);
            due.Callback(now);
            fired++;
        }
        return fired;
    }

    private void RemoveAt(int index)
    {
        DeviceTimer removed = _heap[index];
        removed.HeapIndex = -1;
        _count--;
        if (index == _count) { _heap[_count] = null!; return; }
        DeviceTimer last = _heap[_count];
        _heap[_count] = null!;
        Place(last, index);
        SiftDown(index);
        SiftUp(last.HeapIndex);
    }

    private void SiftUp(int index)
    {
        DeviceTimer item = _heap[index];
        while (index > 0)
        {
            int parent = (index - 1) >> 1;
            if (_heap[parent].Deadline <= item.Deadline) break;
            Place(_heap[parent], index);
            index = parent;
        }
        Place(item, index);
    }

    private void SiftDown(int index)
    {
        DeviceTimer item = _heap[index];
        while (true)
        {
            int child = 2 * index + 1;
            if (child >= _count) break;
            if (child + 1 < _count && _heap[child + 1].Deadline < _heap[child].Deadline) child++;
            if (item.Deadline <= _heap[child].Deadline) break;
            Place(_heap[child], index);
            index = child;
        }
        Place(item, index);
    }

    private void Place(DeviceTimer timer, int index)
    {
        _heap[index] = timer;
        timer.HeapIndex = index;
    }
}
