using JitVirt.Machine.Time;

namespace JitVirt.Machine.Pc;

/// <summary>
/// Deterministic virtual time: every retired guest instruction takes <see cref="NanosecondsPerInstruction"/>
/// (a 1 GHz processor at one instruction per clock), plus the idle time the machine skips over while the
/// processor is halted waiting for a timer. Devices read it in the middle of an instruction, so a guest
/// polling a counter sees it advance exactly as fast as it executes.
/// </summary>
public sealed class InstructionClock(JitVirt.Cpu.Cpu cpu) : IVirtualClock
{
    /// <summary>1 instruction = 1 ns: the documented deterministic rate.</summary>
    public const long NanosecondsPerInstruction = 1;

    private readonly long _origin = cpu.InstructionsRetired;
    private long _idleNanoseconds;

    public long NowNanoseconds => (cpu.InstructionsRetired - _origin) * NanosecondsPerInstruction + _idleNanoseconds;

    /// <summary>Moves time forward to <paramref name="nanoseconds"/> without executing (HLT until the next timer).</summary>
    public void SkipTo(long nanoseconds)
    {
        long now = NowNanoseconds;
        if (nanoseconds > now) _idleNanoseconds += nanoseconds - now;
    }
}
