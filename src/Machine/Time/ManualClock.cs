namespace JitVirt.Machine.Time;

/// <summary>A clock that moves only when told to: for tests and deterministic runs.</summary>
public sealed class ManualClock(long startNanoseconds = 0) : IVirtualClock
{
    public long NowNanoseconds { get; private set; } = startNanoseconds;

    /// <summary>Sets an absolute time; it may not go backwards (the contract is monotonic).</summary>
    public void Set(long nanoseconds)
    {
        if (nanoseconds < NowNanoseconds)
            throw new ArgumentOutOfRangeException(nameof(nanoseconds), "A virtual clock is monotonic.");
        NowNanoseconds = nanoseconds;
    }

    public void Advance(long nanoseconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(nanoseconds);
        NowNanoseconds += nanoseconds;
    }
}
