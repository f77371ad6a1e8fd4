namespace JitVirt.NativeOracle;

/// <summary>The processor mode an oracle case runs in (both are IA-32e sub-modes, SDM vol. 3A §2.2).</summary>
public enum ExecutionMode
{
    /// <summary>64-bit mode: CS.L = 1, default operand size 32, default address size 64.</summary>
    Long64,

    /// <summary>Compatibility mode: a 32-bit code segment (CS.L = 0, CS.D = 1) under a 64-bit OS.
    /// Only the eight legacy GPRs and XMM0–7 are visible; BCD, PUSHAD and the short INC/DEC forms exist.</summary>
    Compat32,
}
