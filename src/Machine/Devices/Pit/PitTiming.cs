namespace JitVirt.Machine.Devices.Pit;

/// <summary>Conversion between virtual nanoseconds and ticks of the PC's 8254 input clock.</summary>
public static class PitTiming
{
    /// <summary>IBM PC: 14.31818 MHz / 12 = 1.193182 MHz on every 8254 CLK input.</summary>
    public const long InputClockHz = 1_193_182;
    private const long NanosecondsPerSecond = 1_000_000_000;

    /// <summary>Number of CLK rising edges in [0, <paramref name="nanoseconds"/>].</summary>
    public static long TickAt(long nanoseconds) => (long)((Int128)nanoseconds * InputClockHz / NanosecondsPerSecond);

    /// <summary>Earliest nanosecond whose <see cref="TickAt"/> is <paramref name="tick"/>.</summary>
    public static long NanosecondsAt(long tick) =>
        (long)(((Int128)tick * NanosecondsPerSecond + InputClockHz - 1) / InputClockHz);
}
