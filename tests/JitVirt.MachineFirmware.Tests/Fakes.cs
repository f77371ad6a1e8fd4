using JitVirt.Machine.Bus;
using JitVirt.Machine.Devices.Apic;
using JitVirt.Machine.Time;

namespace JitVirt.MachineFirmware.Tests;

/// <summary>Virtual clock the test moves by hand.</summary>
internal sealed class FakeClock : IVirtualClock
{
    public long NowNanoseconds { get; set; }
}

/// <summary>Timer queue fake: callbacks run when the test advances time past their deadline.</summary>
internal sealed class FakeScheduler(FakeClock clock) : ITimerScheduler
{
    private readonly SortedList<(long Deadline, long Id), Action> _pending = new();
    private long _nextId;

    public int PendingCount => _pending.Count;

    public TimerHandle Schedule(long deadlineNs, Action callback)
    {
        long id = ++_nextId;
        _pending.Add((deadlineNs, id), callback);
        return new TimerHandle(id);
    }

    public void Cancel(TimerHandle handle)
    {
        for (int i = 0; i < _pending.Count; i++)
        {
            if (_pending.Keys[i].Id != handle.Id) continue;
            _pending.RemoveAt(i);
            return;
        }
    }

    /// <summary>Moves the clock to <paramref name="ns"/>, firing due callbacks in deadline order at their deadlines.</summary>
    public void AdvanceTo(long ns)
    {
        while (_pending.Count > 0 && _pending.Keys[0].Deadline <= ns)
        {
            var key = _pending.Keys[0];
            var callback = _pending.Values[0];
            _pending.RemoveAt(0);
            clock.NowNanoseconds = key.Deadline;
            callback();
        }
        clock.NowNanoseconds = ns;
    }
}

internal sealed class RecordingLine : IInterruptLine
{
    public bool Level { get; private set; }
    public int RisingEdges { get; private set; }

    public void SetLevel(bool asserted)
    {
        if (asserted && !Level) RisingEdges++;
        Level = asserted;
    }
}

/// <summary>APIC bus fake that records messages and accepts or refuses them.</summary>
internal sealed class RecordingDelivery : IApicInterruptDelivery
{
    public List<ApicInterruptMessage> Messages { get; } = [];
    public bool Accept { get; set; } = true;

    public bool Deliver(in ApicInterruptMessage message)
    {
        Messages.Add(message);
        return Accept;
    }
}
