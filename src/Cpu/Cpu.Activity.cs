using JitVirt.Cpu.Execution;

namespace JitVirt.Cpu;

public sealed partial class Cpu
{
    /// <summary>
    /// What this processor's thread is doing now (<see cref="ExecutionActivity"/>): written by the machine's run
    /// loop, the IL tier's dispatcher and the front ends' exit paths, read by a sampler on another thread. A torn
    /// or late read only misfiles one sample.
    /// </summary>
    public ExecutionActivity Activity;
}
