namespace JitVirt.Cpu.Platform;

/// <summary>
/// RDMSR/WRMSR storage and semantics. Unknown MSRs raise #GP(0) (SDM vol.2 RDMSR/WRMSR).
/// The full set is filled in with the system instructions.
/// </summary>
public sealed partial class ModelSpecificRegisters
{
    readonly Cpu _cpu;
    public ModelSpecificRegisters(Cpu cpu) { _cpu = cpu; }

    /// <summary>Resets the MSRs to their power-on values.</summary>
    public void Reset() { ResetCore(); }

    partial void ResetCore();
}
