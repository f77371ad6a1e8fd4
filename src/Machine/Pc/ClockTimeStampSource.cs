using JitVirt.Cpu.Platform;
using JitVirt.Machine.Time;

namespace JitVirt.Machine.Pc;

/// <summary>
/// The TSC's time base from the machine's virtual clock at <see cref="PcMachine.TscFrequencyHz"/> (1 GHz:
/// one tick per virtual nanosecond), so RDTSC, the APIC timer's TSC-deadline mode, the PIT and the PM
/// timer all agree — in deterministic runs as well (SDM vol.3 §19.17).
/// </summary>
public sealed class ClockTimeStampSource(IVirtualClock clock) : ITimeStampSource
{
    public ulong Now(JitVirt.Cpu.Cpu cpu) => (ulong)clock.NowNanoseconds;
}
