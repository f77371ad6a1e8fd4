namespace JitVirt.Machine.Pc;

/// <summary>
/// The "execute guest code" step of a machine, in the style of cloud-hypervisor's vCPU run loop: the
/// machine owns devices, time and interrupts; a vCPU only runs guest instructions on the shared
/// <see cref="JitVirt.Cpu.Cpu"/> state until a budget runs out or something needs the machine. The
/// interpreter is the first implementation; SVM/VMX front ends can be swapped in behind the same contract.
/// </summary>
public interface IVcpu
{
    /// <summary>The architectural state this vCPU executes on.</summary>
    JitVirt.Cpu.Cpu Cpu { get; }

    /// <summary>
    /// Runs at most <paramref name="instructionBudget"/> guest instructions. Returns early on HLT with
    /// nothing to wake it, a triple fault, or <see cref="JitVirt.Cpu.Cpu.RequestExit"/> from a device.
    /// </summary>
    VcpuExit Run(long instructionBudget);

    /// <summary>The machine reset the processor (or is about to load an image into it).</summary>
    void OnReset() { }
}

/// <summary>Why <see cref="IVcpu.Run"/> returned.</summary>
public enum VcpuExit
{
    /// <summary>The budget was used up; the machine services timers and calls again.</summary>
    BudgetExhausted,
    /// <summary>HLT and no interrupt is deliverable now.</summary>
    Halted,
    /// <summary>Triple fault.</summary>
    Shutdown,
    /// <summary>A device or the host asked the vCPU to return (debug exit, reset, power-off).</summary>
    ExitRequested,
}
