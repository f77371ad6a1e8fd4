using JitVirt.Machine.Demo;
using JitVirt.Machine.Pc;

namespace JitVirt.Pc.Tests;

/// <summary>The demo guest prints the same line and ends with the same status on every vCPU (issue 6/7 acceptance 3).</summary>
public class DemoGuestUnderFrontEndsTests
{
    static (RunResult Result, string Console) Run(string vcpu)
    {
        var serial = new MemoryStream();
        using var machine = TestGuests.Machine(serial, tweak: c => c with { DebugExit = DebugExitConfig.Default }, vcpuFactory: FrontEnds.Factory(vcpu));
        machine.Boot(DemoGuest.CreateBootImage());
        var result = machine.Run(timeout: TimeSpan.FromSeconds(30));
        return (result, TestGuests.Text(serial));
    }

    [Theory]
    [MemberData(nameof(FrontEnds.Names), MemberType = typeof(FrontEnds))]
    public void DemoEndsWithItsSuccessStatusAndTheInterpretersConsole(string vcpu)
    {
        var (reference, referenceConsole) = Run("interpreter");
        var (result, console) = Run(vcpu);
        Assert.Equal(RunOutcome.DebugExit, result.Outcome);
        Assert.Equal((DemoGuest.SuccessValue << 1) | 1, result.ExitStatus);
        Assert.Equal(referenceConsole, console);
        Assert.Contains("3 timer interrupts, paging on, TSC_AUX=0x0042 via WRMSR/RDMSR", console);
        Assert.Equal(reference.ExitStatus, result.ExitStatus);
    }
}
