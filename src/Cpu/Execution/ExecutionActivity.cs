namespace JitVirt.Cpu.Execution;

/// <summary>
/// What a vCPU's thread is doing, for the time split of <c>--stats</c> and <c>--json</c>. The thread stores the
/// value into <see cref="Cpu.Activity"/> at each transition (one plain byte store, no clock read: the IL tier
/// dispatches hundreds of millions of blocks in a Linux boot) and a sampler thread reads it every few
/// milliseconds; the share of samples is the share of wall time. Values index the sampler's histogram.
/// </summary>
public enum ExecutionActivity : byte
{
    /// <summary>Outside the vCPU: the machine's run loop, the timers it fires and the devices they drive.</summary>
    Machine,
    /// <summary>The IL tier's block loop between blocks: block lookup and decode, compile requests and installs, and events and single instructions it hands to the interpreter.</summary>
    Dispatch,
    /// <summary>Guest instructions run by the interpreter's handler table (all guest code when there is no IL tier).</summary>
    Interpreter,
    /// <summary>IL-compiled bodies, with the interpreter handlers they call.</summary>
    CompiledCode,
    /// <summary>A front end's exit: the #VMEXIT or VM exit, its handler (device emulation for I/O), and the entry that resumes the guest.</summary>
    ExitHandling,
    /// <summary>The guest is halted and the machine waits in host time for the next timer.</summary>
    Idle,
}
