using JitVirt.Cpu.Execution;
using JitVirt.Machine.Pc;

namespace JitVirt.Pc.Tests;

/// <summary>The vCPUs an end-to-end guest runs on: the bare interpreter, and the interpreter hosted by each front end.</summary>
public static class FrontEnds
{
    public static TheoryData<string> Names => ["interpreter", "svm", "vmx"];

    public static Func<JitVirt.Cpu.Cpu, IVcpu>? Factory(string name) => name switch
    {
        "interpreter" => null,
        "svm" => cpu => new FrontEndVcpu(cpu, new JitVirt.Svm.SvmFrontEnd(cpu, new Interpreter(cpu))),
        "vmx" => cpu => new FrontEndVcpu(cpu, new JitVirt.Vmx.VmxFrontEnd(cpu, new Interpreter(cpu))),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };
}
