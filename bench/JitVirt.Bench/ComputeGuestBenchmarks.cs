using BenchmarkDotNet.Attributes;
using JitVirt.Cpu.Execution;
using JitVirt.IlJit;
using JitVirt.Machine.Guests;
using JitVirt.Machine.Pc;
using JitVirt.Virtualization;

namespace JitVirt.Bench;

/// <summary>
/// MIPS on the gate's compute guests on the whole PC (devices, timers, the run loop), under each front
/// end with the IL tier, in deterministic mode, from the real-mode entry to the isa-debug-exit write:
/// what <c>jitvirt bench gate</c> runs, timed. The machine is built and booted outside the measurement
/// (IterationSetup); compiling the guest's regions is inside it, since every fresh machine compiles afresh. One operation is one whole guest run; the run's instruction count is deterministic and
/// printed by <c>jitvirt bench gate</c> (e.g. integer: 2.4 million), so MIPS = instructions / (µs per op).
/// </summary>
[MemoryDiagnoser]
public class ComputeGuestBenchmarks
{
    [Params("integer", "memcopy", "branchy")]
    public string Guest { get; set; } = "integer";

    [Params("svm", "vmx")]
    public string FrontEnd { get; set; } = "svm";

    /// <summary>The gate's compile threshold (GateSettings.CompileThreshold).</summary>
    const long CompileThreshold = 2;

    byte[] _image = null!;
    PcMachine? _machine;

    [GlobalSetup]
    public void Setup() => _image = LongModeComputeGuests.All.Single(g => g.Name == Guest).BuildImage();

    [IterationSetup]
    public void Boot()
    {
        var config = new MachineConfig { Serial = OutputTarget.None, Deterministic = true, NoReboot = true };
        _machine = new PcMachine(config, cpu =>
        {
            var tier = new TieredExecutor(cpu, new Interpreter(cpu), CompileThreshold);
            IFrontEnd frontEnd = FrontEnd == "svm" ? new JitVirt.Svm.SvmFrontEnd(cpu, tier) : new JitVirt.Vmx.VmxFrontEnd(cpu, tier);
            return new FrontEndVcpu(cpu, frontEnd);
        });
        _machine.Boot(new FlatBootImage(_image, LongModeGuestImage.Origin, 0, LongModeGuestImage.Origin));
    }

    /// <summary>Runs the guest to its end; returns the instructions it retired (checked against the run's outcome).</summary>
    [Benchmark]
    public long RunToExit()
    {
        var result = _machine!.Run();
        if (result.Outcome != RunOutcome.DebugExit) throw new InvalidOperationException($"{Guest}/{FrontEnd}: {result}");
        return result.InstructionsRetired;
    }

    [IterationCleanup]
    public void Cleanup()
    {
        _machine?.Dispose();
        _machine = null;
    }
}
