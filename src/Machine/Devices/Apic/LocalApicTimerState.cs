namespace JitVirt.Machine.Devices.Apic;

/// <summary>Plain state of the local APIC timer (SDM vol.3 §11.5.4).</summary>
public sealed record LocalApicTimerState
{
    public LocalApicTimerMode Mode;
    public uint InitialCount;
    public uint DivideConfiguration;
    /// <summary>Virtual ns at which the current count was (re)loaded with <see cref="InitialCount"/>.</summary>
    public long StartNs;
    /// <summary>True while a one-shot or periodic countdown is running.</summary>
    public bool Counting;
    /// <summary>IA32_TSC_DEADLINE; zero means disarmed (SDM vol.3 §11.5.4.1).</summary>
    public ulong TscDeadline;
    public TimerHandle Pending;
    /// <summary>Bumped on every re-arm so a stale scheduler callback can recognise itself.</summary>
    public long Generation;
}
