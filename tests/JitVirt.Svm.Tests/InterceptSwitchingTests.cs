using JitVirt.Cpu.Execution;
using JitVirt.Svm.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Svm.Tests;

/// <summary>
/// The IL tier compiles intercepted instructions into exit stubs from the VMCB's configuration, and
/// a change of that configuration drops the affected code (acceptance 4): with a TieredExecutor at
/// threshold 0, the same compiled OUT stops exiting when its IOPM bit is cleared, and exits again
/// when it is set.
/// </summary>
public class InterceptSwitchingTests
{
    const int Ioio = 0x7B;

    static SvmGuest OutLoop() => new(64, a =>
    {
        var loop = a.CreateLabel();
        a.mov(al, 0x42);
        a.Label(ref loop);
        a.@out(0x80, al);
        a.inc(rbx);
        a.jmp(loop);
    }, tiered: true);

    [Fact]
    public void ClearingAnIopmBitStopsTheCompiledOutFromExitingAndSettingItBringsTheExitBack()
    {
        using var g = OutLoop();
        var tiered = g.Tiered!;

        Assert.Equal(StopReason.BudgetExhausted, g.Run(3_000));
        int exits1 = g.ExitsWith(Ioio).Count();
        int writes1 = g.Ports.Accesses.Count;
        Assert.Equal(writes1, exits1);          // every OUT exited (and the handler did the write)
        Assert.True(exits1 > 900, $"{exits1} exits");
        Assert.True(tiered.CompiledBlockRuns > 0);
        int compiled1 = tiered.BlocksCompiled;

        g.Svm.Iopm.Set(0x80, false);            // pass port 80h through
        long runsBefore = tiered.CompiledBlockRuns;
        Assert.Equal(StopReason.BudgetExhausted, g.Run(3_000));
        Assert.Equal(exits1, g.ExitsWith(Ioio).Count()); // not one more exit
        int writes2 = g.Ports.Accesses.Count - writes1;
        Assert.True(writes2 > 900, $"{writes2} writes"); // the OUT still ran, natively
        Assert.True(tiered.BlocksCompiled > compiled1);  // the code was rebuilt without the stub
        Assert.True(tiered.CompiledBlockRuns > runsBefore);

        g.Svm.Iopm.Set(0x80, true);             // intercept it again
        int compiled2 = tiered.BlocksCompiled;
        Assert.Equal(StopReason.BudgetExhausted, g.Run(3_000));
        int exits3 = g.ExitsWith(Ioio).Count() - exits1;
        int writes3 = g.Ports.Accesses.Count - writes1 - writes2;
        Assert.Equal(writes3, exits3);
        Assert.True(exits3 > 900, $"{exits3} exits");
        Assert.True(tiered.BlocksCompiled > compiled2);
        Assert.All(g.ExitsWith(Ioio), e => Assert.Equal(0x80ul, e.Info1 >> 16));
    }

    [Fact]
    public void SettingAnInstructionInterceptInTheVmcbIsNoticedAtTheNextVmrun()
    {
        using var g = new SvmGuest(64, a =>
        {
            var loop = a.CreateLabel();
            a.Label(ref loop);
            a.rdtsc();
            a.jmp(loop);
        }, tiered: true);
        g.Run(1_000);
        Assert.Empty(g.ExitsWith(0x6E));
        g.Svm.Vmcb.InterceptWord1 |= InterceptWord1.Rdtsc; // a VMM writes the vector directly
        g.Run(1_000);
        Assert.True(g.ExitsWith(0x6E).Count() > 400);
    }
}
