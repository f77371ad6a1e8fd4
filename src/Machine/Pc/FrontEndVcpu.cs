using JitVirt.Cpu.Execution;
using JitVirt.Virtualization;

namespace JitVirt.Machine.Pc;

/// <summary>
/// A vCPU hosted by a hardware-virtualization front end (SVM or VMX): the machine plays the part
/// QEMU played for KVM in 2007. After a reset or a loader has written a fresh architectural state
/// into the <see cref="JitVirt.Cpu.Cpu"/>, the next <see cref="Run"/> hands it to the front end first
/// (KVM_SET_REGS/KVM_SET_SREGS), then enters the guest (KVM_RUN).
/// </summary>
public sealed class FrontEndVcpu(JitVirt.Cpu.Cpu cpu, IFrontEnd frontEnd) : IVcpu
{
    bool _stateFromCpu = true;

    public JitVirt.Cpu.Cpu Cpu { get; } = cpu;

    public IFrontEnd FrontEnd { get; } = frontEnd;

    public void OnReset() => _stateFromCpu = true;

    public VcpuExit Run(long instructionBudget)
    {
        if (_stateFromCpu)
        {
            _stateFromCpu = false;
            FrontEnd.Reset();
        }
        return FrontEnd.Run(instructionBudget) switch
        {
            StopReason.BudgetExhausted => VcpuExit.BudgetExhausted,
            StopReason.Halted => VcpuExit.Halted,
            StopReason.Shutdown => VcpuExit.Shutdown,
            _ => VcpuExit.ExitRequested,
        };
    }
}
