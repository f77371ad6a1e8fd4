using JitVirt.Machine.Time;

namespace JitVirt.Machine.Tests;

public class TimeTests
{
    [Fact]
    public void RunDueFiresInDeadlineOrderOnlyWhenDue()
    {
        var queue = new TimerQueue();
        var fired = new List<int>();
        var a = queue.CreateTimer(_ => fired.Add(1));
        var b = queue.CreateTimer(_ => fired.Add(2));
        var c = queue.CreateTimer(_ => fired.Add(3));
        queue.Schedule(a, 300);
        queue.Schedule(b, 100);
        queue.Schedule(c, 200);
        Assert.Equal(100, queue.NextDeadline);
        Assert.Equal(2, queue.RunDue(250));
        Assert.Equal([2, 3], fired);
        Assert.Equal(300, queue.NextDeadline);
    }

    [Fact]
    public void CancelAndRescheduleMoveTheSameSlot()
    {
        var queue = new TimerQueue();
        int count = 0;
        var t = queue.CreateTimer(_ => count++);
        queue.Schedule(t, 100);
        queue.Schedule(t, 500); // reschedule, not a second entry
        Assert.Equal(1, queue.ScheduledCount);
        Assert.Equal(0, queue.RunDue(400));
        queue.Cancel(t);
        Assert.False(t.IsScheduled);
        Assert.Equal(0, queue.RunDue(1000));
        Assert.Equal(long.MaxValue, queue.NextDeadline);
        Assert.Equal(0, count);
    }

    [Fact]
    public void ReschedulingDoesNotAllocate()
    {
        var queue = new TimerQueue();
        var timers = new DeviceTimer[8];
        for (int i = 0; i < timers.Length; i++) timers[i] = queue.CreateTimer(_ => { });
        for (int i = 0; i < timers.Length; i++) queue.Schedule(timers[i], i);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++) queue.Schedule(timers[i & 7], 1000 - i);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void ManualClockAdvancesAndRefusesToGoBack()
    {
        var clock = new ManualClock(10);
        clock.Advance(5);
        Assert.Equal(15, clock.NowNanoseconds);
        clock.Set(100);
        Assert.Equal(100, clock.NowNanoseconds);
        Assert.Throws<ArgumentOutOfRangeException>(() => clock.Set(99));
    }

    [Fact]
    public void HostClockIsMonotonic()
    {
        var clock = new HostClock();
        long a = clock.NowNanoseconds;
        Thread.Sleep(2);
        long b = clock.NowNanoseconds;
        Assert.True(b - a >= 1_000_000, $"{a} -> {b}");
    }
}
