namespace JitVirt.Cli;

/// <summary>
/// QEMU's <c>-d cpu_reset</c> log entry: "CPU Reset (CPU 0)" followed by the register dump with the FPU
/// part (x86 CPUs' reset_dump_flags), written for the state the processor was in when it reset; JitVirt
/// writes it when a triple fault ends the run.
/// </summary>
public static class CpuResetDump
{
    public static string Format(JitVirt.Cpu.Cpu cpu, int cpuIndex = 0) => $"CPU Reset (CPU {cpuIndex})\n" + CpuStateDump.Format(cpu, includeFpu: true);
}
