using System.Diagnostics;

namespace JitVirt.Machine.Time;

/// <summary>Real time: nanoseconds of host monotonic time (<see cref="Stopwatch"/>) since construction or <see cref="Reset"/>.</summary>
public sealed class HostClock : IVirtualClock
{
    private const long NanosecondsPerSecond = 1_000_000_000;
    private long _originTimestamp = Stopwatch.GetTimestamp();

    public long NowNanoseconds => ToNanoseconds(Stopwatch.GetTimestamp() - _originTimestamp);

    /// <summary>Makes "now" zero again (machine reset).</summary>
    public void Reset() => _originTimestamp = Stopwatch.GetTimestamp();

    private static long ToNanoseconds(long elapsedTicks)
    {
        // Split to avoid overflowing elapsed * 1e9 after ~15 minutes at a 10 MHz timestamp frequency.
        long frequency = Stopwatch.Frequency;
        long seconds = Math.DivRem(elapsedTicks, frequency, out long remainder);
        return seconds * NanosecondsPerSecond + remainder * NanosecondsPerSecond / frequency;
    }
}
