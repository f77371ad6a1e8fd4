using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.IlJit;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Vmx.Tests;

/// <summary>
/// The IL tier compiles exit stubs from the same controls: a loop of CPUID and OUT, compiled from its
/// first entry, exits on every iteration with the same qualification as under the interpreter, and
/// turning on RDTSC exiting between runs drops the compiled code so the next run exits on RDTSC too.
/// </summary>
public sealed class IlTierUnderVmxTests
{
    static void Program(Assembler a)
    {
        a.mov(ecx, 10);
        var top = a.CreateLabel();
        a.Label(ref top);
        a.cpuid();
        a.mov(ecx, ecx);
        a.mov(al, 7); a.@out(0x80, al);
        a.rdtsc();
        a.mov(ecx, 0);
        a.jmp(top);
    }

    [Fact]
    public void CompiledBlocksExitLikeInterpretedOnes()
    {
        TieredExecutor? tier = null;
        using var g = new VmxGuest(Program, vpid: true, executor: m => tier = new TieredExecutor(m.Cpu, m.Interpreter, threshold: 0));
        Assert.Equal(StopReason.BudgetExhausted, g.Run(2_000));
        Assert.True(tier!.BlocksCompiled > 0);
        var io = g.Exits.Where(e => e.BasicReason == 30).ToList();
        Assert.True(io.Count > 50);
        Assert.All(io, e => Assert.Equal((0x80ul << 16) | (1ul << 6), e.Qualification));
        Assert.Equal(g.Exits.Count(e => e.BasicReason == 10), io.Count);
        Assert.DoesNotContain(g.Exits, e => e.BasicReason == 16);

        g.SetProcControl(ProcControls.RdtscExiting, true);
        int before = g.Exits.Count;
        Assert.Equal(StopReason.BudgetExhausted, g.Run(2_000));
        Assert.Contains(g.Exits.Skip(before), e => e.BasicReason == 16);
    }
}
