using System.Text;
using JitVirt.Cpu.Execution;
using JitVirt.Machine.Demo;
using JitVirt.Machine.Pc;

namespace JitVirt.Svm.Tests;

/// <summary>
/// The machine's demo guest (real mode → protected mode with paging, PIT interrupts, CPUID,
/// SYSENTER MSRs, port I/O) runs under SVM with the console output and exit status it has on the
/// plain interpreter.
/// </summary>
public class DemoGuestTests(Xunit.Abstractions.ITestOutputHelper output)
{
    static (RunResult Result, string Console, SvmFrontEnd? Svm) Run(bool underSvm, bool ilTier = false)
    {
        var serial = new MemoryStream();
        SvmFrontEnd? svm = null;
        var config = new MachineConfig
        {
            RamBytes = 16 << 20,
            Serial = OutputTarget.ToStream(serial),
            Deterministic = true,
            NoReboot = true,
        };
        using var machine = underSvm
            ? new PcMachine(config, cpu => new FrontEndVcpu(cpu, svm = new SvmFrontEnd(cpu, Executor(cpu, ilTier))))
            : new PcMachine(config);
        machine.Boot(DemoGuest.CreateBootImage());
        var result = machine.Run(timeout: TimeSpan.FromSeconds(60));
        return (result, Encoding.ASCII.GetString(serial.ToArray()), svm);
    }

    static IExecutor Executor(JitVirt.Cpu.Cpu cpu, bool ilTier)
    {
        var interpreter = new Interpreter(cpu);
        return ilTier ? new JitVirt.IlJit.TieredExecutor(cpu, interpreter, threshold: 0) : interpreter;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheDemoGuestPrintsTheSameAndExitsOneUnderSvm(bool ilTier)
    {
        var plain = Run(underSvm: false);
        var svm = Run(underSvm: true, ilTier);
        Assert.Equal(RunOutcome.DebugExit, plain.Result.Outcome);
        Assert.Equal(1, plain.Result.ExitStatus);
        Assert.Equal(RunOutcome.DebugExit, svm.Result.Outcome);
        Assert.Equal(1, svm.Result.ExitStatus);
        Assert.StartsWith(DemoGuest.OutputPrefix, svm.Console);
        Assert.Equal(plain.Console, svm.Console);
        var exits = svm.Svm!.Exits.Snapshot().ToDictionary(r => r.Name, r => r.Count);
        output.WriteLine(svm.Console);
        foreach (var (name, count) in exits) output.WriteLine($"{name,-12} {count}");
        Assert.True(exits.GetValueOrDefault("io") > 0, string.Join(", ", exits));
        Assert.True(exits.GetValueOrDefault("cpuid") > 0, string.Join(", ", exits));
    }
}
