namespace JitVirt.Machine.Time;

/// <summary>
/// The machine's notion of time. Real-time by default; under --deterministic it advances with
/// retired guest instructions. Every timer device (PIT, RTC, APIC timer, PM timer, TSC) reads it,
/// so they agree with each other.
/// </summary>
public interface IVirtualClock
{
    /// <summary>Nanoseconds since machine reset; monotonic.</summary>
    long NowNanoseconds { get; }
}
