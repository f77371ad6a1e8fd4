using System.Text;
using JitVirt.Cpu.Execution;
using JitVirt.Machine.Demo;
using JitVirt.Machine.Pc;
using Xunit;

namespace JitVirt.Vmx.Tests;

/// <summary>
/// The machine's demo guest (real mode → protected mode with paging, timer interrupts through the
/// PIC, SYSENTER MSRs, serial output) under the VMX front end: same exit status and console text
/// as under the plain interpreter.
/// </summary>
public sealed class DemoGuestUnderVmxTests
{
    static (RunResult Result, string Serial) RunDemo(Func<JitVirt.Cpu.Cpu, IVcpu>? vcpu)
    {
        var serial = new MemoryStream();
        var config = new MachineConfig
        {
            RamBytes = 16 << 20,
            Serial = OutputTarget.ToStream(serial),
            DebugExit = DebugExitConfig.Default,
            Deterministic = true,
            NoReboot = true,
        };
        using var m = new PcMachine(config, vcpu);
        m.Boot(DemoGuest.CreateBootImage());
        var result = m.Run(timeout: TimeSpan.FromSeconds(60));
        return (result, Encoding.ASCII.GetString(serial.ToArray()));
    }

    [Fact]
    public void DemoGuestBehavesAsUnderTheInterpreter()
    {
        var plain = RunDemo(null);
        VmxFrontEnd? vmx = null;
        var virt = RunDemo(cpu => new FrontEndVcpu(cpu, vmx = new VmxFrontEnd(cpu, new Interpreter(cpu))));
        Assert.Equal(RunOutcome.DebugExit, plain.Result.Outcome);
        Assert.True(plain.Result.Outcome == virt.Result.Outcome, $"serial under VMX: [{virt.Serial}]; exits: " + string.Join(", ", vmx!.Exits.Snapshot().Select(r => $"{r.Name}={r.Count}")));
        Assert.Equal(plain.Result.ExitStatus, virt.Result.ExitStatus);
        Assert.Equal(1, virt.Result.ExitStatus);
        Assert.Equal(plain.Serial, virt.Serial);
        Assert.Contains("3 timer interrupts", virt.Serial);
        var stats = vmx!.Exits.Snapshot().ToDictionary(r => r.Name, r => r.Count);
        Assert.True(stats.GetValueOrDefault("IO_INSTRUCTION") > 0);
        Assert.True(stats.GetValueOrDefault("CPUID") > 0);
    }
}
