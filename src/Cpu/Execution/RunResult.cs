namespace JitVirt.Cpu.Execution;

/// <summary>Why <see cref="Interpreter.Run"/> returned.</summary>
public enum StopReason
{
    /// <summary>The instruction budget ran out.</summary>
    BudgetExhausted,
    /// <summary>HLT with no interrupt able to wake the processor.</summary>
    Halted,
    /// <summary>Triple fault: the processor shut down.</summary>
    Shutdown,
    /// <summary>A device or the host asked to stop (debug-exit port, reset, power-off, front-end exit).</summary>
    ExitRequested,
}
