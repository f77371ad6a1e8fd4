namespace JitVirt.NativeOracle;

/// <summary>
/// Something that runs x86 code from a given architectural state and reports the resulting state:
/// the host CPU (<see cref="NativeExecutor"/>) or an emulator. Both sides of a comparison implement it.
/// </summary>
public interface IInstructionExecutor
{
    /// <summary>The linear addresses this executor places code, stack and scratch memory at.</summary>
    OracleLayout Layout { get; }

    /// <summary>
    /// Places <paramref name="code"/> at <see cref="OracleLayout.CodeAddress(ExecutionMode)"/>, loads
    /// <paramref name="state"/> (registers, flags, SSE state, scratch and stack memory), runs the code
    /// until it falls through its last byte or faults, and writes the resulting state back into
    /// <paramref name="state"/>. A fault sets <see cref="OracleState.FaultVector"/>,
    /// <see cref="OracleState.ErrorCode"/> and (for #PF) <see cref="OracleState.FaultAddress"/>; the
    /// registers then hold their values at the faulting instruction.
    /// </summary>
    /// <remarks>In <see cref="ExecutionMode.Compat32"/> only RAX..RDI (low 32 bits) and XMM0–7 are
    /// loaded and reported; R8–R15 and XMM8–15 come back unchanged and the upper halves of
    /// RAX..RDI come back zero (they are undefined after a mode switch, SDM vol. 1 §3.4.1.1).</remarks>
    void Execute(ExecutionMode mode, byte[] code, OracleState state);
}
