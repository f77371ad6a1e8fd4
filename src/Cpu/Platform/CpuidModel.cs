namespace JitVirt.Cpu.Platform;

/// <summary>
/// The CPUID leaves the guest sees. They describe exactly what JitVirt implements: no feature
/// bit is set for something that is not.
/// </summary>
public sealed partial class CpuidModel
{
    /// <summary>EDX after RESET holds the processor signature (family/model/stepping; SDM vol.3 §10.1.3).</summary>
    public const ulong ResetEdx = 0x0000_0663;
}
