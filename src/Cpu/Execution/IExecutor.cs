namespace JitVirt.Cpu.Execution;

/// <summary>Something that runs guest code on a <see cref="Cpu"/>: the interpreter, or the tiered IL executor.</summary>
public interface IExecutor
{
    /// <summary>Runs until <paramref name="maxInstructions"/> have retired or something stops the processor.</summary>
    StopReason Run(long maxInstructions);
}
