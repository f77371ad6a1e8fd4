using JitVirt.Cpu.Execution;

namespace JitVirt.Machine.Pc;

/// <summary>The tier-0 interpreter as a vCPU.</summary>
public sealed class InterpreterVcpu(JitVirt.Cpu.Cpu cpu) : IVcpu
{
    public JitVirt.Cpu.Cpu Cpu { get; } = cpu;

    public Interpreter Interpreter { get; } = new(cpu);

    public VcpuExit Run(long instructionBudget) => Interpreter.Run(instructionBudget) switch
    {
        StopReason.BudgetExhausted => VcpuExit.BudgetExhausted,
        StopReason.Halted => VcpuExit.Halted,
        StopReason.Shutdown => VcpuExit.Shutdown,
        _ => VcpuExit.ExitRequested,
    };
}
