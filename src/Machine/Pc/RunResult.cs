namespace JitVirt.Machine.Pc;

/// <summary>Why <see cref="PcMachine.Run"/> returned.</summary>
public enum RunOutcome
{
    /// <summary>The guest wrote to isa-debug-exit; <see cref="RunResult.ExitStatus"/> holds (value &lt;&lt; 1) | 1.</summary>
    DebugExit,
    /// <summary>ACPI soft-off (SLP_TYP = S5 with SLP_EN in PM1_CNT).</summary>
    PowerOff,
    /// <summary>The guest asked for a reset and the machine was told not to reboot (<see cref="MachineConfig.NoReboot"/>).</summary>
    Reset,
    /// <summary>Triple fault: the processor shut down (SDM vol.3 §7.15, interrupt 8) with <see cref="MachineConfig.NoReboot"/>.</summary>
    Shutdown,
    /// <summary>HLT with interrupts disabled (or no interrupt source armed): nothing can ever wake the processor.</summary>
    Halted,
    /// <summary>The wall-clock timeout passed.</summary>
    Timeout,
    /// <summary>The caller's cancellation token fired.</summary>
    Cancelled,
    /// <summary>The emulator itself failed (<see cref="RunResult.Message"/> says how).</summary>
    HostError,
}

/// <summary>The end of a run: what happened, the debug-exit status if any, and how much work was done.</summary>
public sealed record RunResult(RunOutcome Outcome, int ExitStatus, long InstructionsRetired, TimeSpan WallTime, string? Message = null)
{
    public override string ToString() => Outcome switch
    {
        RunOutcome.DebugExit => $"debug-exit status {ExitStatus} after {InstructionsRetired} instructions",
        RunOutcome.HostError => $"host error: {Message}",
        _ => $"{Outcome} after {InstructionsRetired} instructions{(Message is null ? "" : ": " + Message)}",
    };
}
