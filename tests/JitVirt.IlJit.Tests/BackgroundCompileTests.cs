using JitVirt.Cpu.Execution;
using JitVirt.TestGuests;
using Xunit;

namespace JitVirt.IlJit.Tests;

/// <summary>
/// Compiling on the compile thread: the guest sees exactly what the interpreter alone produces,
/// whenever the bodies arrive; in deterministic mode every counter is reproducible and bodies
/// appear only at the start of a run; requests beyond the queue's capacity are dropped, not lost.
/// </summary>
public sealed class BackgroundCompileTests
{
    static readonly Action<Iced.Intel.Assembler>[] Guests = [ComputeGuests.IntegerLoop, ComputeGuests.MemoryCopyLoop, ComputeGuests.BranchyLoop];

    [Theory]
    [InlineData(0, 1)]
    [InlineData(0, 97)]
    [InlineData(1, 1000)]
    [InlineData(2, 4099)]
    public void Background_compilation_matches_the_interpreter_at_every_run_boundary(int guest, long budget)
    {
        using var run = new Lockstep(Guests[guest], executor: (cpu, interpreter) =>
            new TieredExecutor(cpu, interpreter, threshold: 2) { Compilation = CompileMode.Background });
        run.RunChunks(200, budget, dataBytes: 0x20000);
        run.Executor.WaitForCompiles();
        run.RunChunks(20, budget, dataBytes: 0x20000); // now with every body installed
        Assert.True(run.Executor.BlocksCompiled > 0, "the compile thread compiled");
        Assert.True(run.Executor.CompiledBlockRuns > 0, "installed bodies ran");
    }

    [Fact]
    public void Deterministic_mode_installs_only_at_the_start_of_a_run()
    {
        using var m = new BareMetal(ComputeGuests.BranchyLoop);
        using var tier = new TieredExecutor(m.Cpu, m.Interpreter, threshold: 0) { Compilation = CompileMode.BackgroundDeterministic };
        Assert.Equal(StopReason.BudgetExhausted, tier.Run(5000));
        Assert.Equal(0, tier.CompiledBlockRuns); // requested during the run, installed at the next one
        Assert.Equal(0, tier.LiveBodies);
        Assert.Equal(StopReason.BudgetExhausted, tier.Run(5000));
        Assert.True(tier.LiveBodies > 0);
        Assert.True(tier.CompiledBlockRuns > 0);
    }

    [Fact]
    public void Deterministic_mode_gives_the_same_counters_on_every_run()
    {
        var first = Counters();
        for (int k = 0; k < 3; k++) Assert.Equal(first, Counters());

        static (long, long, long, long, long, int, ulong, ulong) Counters()
        {
            using var m = new BareMetal(ComputeGuests.BranchyLoop);
            using var tier = new TieredExecutor(m.Cpu, m.Interpreter, threshold: 3)
            { Compilation = CompileMode.BackgroundDeterministic, CompileQueueCapacity = 2 };
            for (int r = 0; r < 30; r++) tier.Run(301);
            return (tier.CompiledBlockRuns, tier.LinksMade, tier.CompileQueueDrops, m.Cpu.InstructionsRetired,
                tier.BlocksCompiled, tier.LiveBodies, m.Cpu.Rip, m.Cpu.Gpr[0]);
        }
    }

    [Fact]
    public void Requests_beyond_the_queue_capacity_are_dropped_and_made_again_later()
    {
        // The branchy loop has more than one block; with room for one request, the others are refused
        // during the first run and requested again at a later entry.
        using var run = new Lockstep(ComputeGuests.BranchyLoop, executor: (cpu, interpreter) =>
            new TieredExecutor(cpu, interpreter, threshold: 0) { Compilation = CompileMode.BackgroundDeterministic, CompileQueueCapacity = 1 });
        run.RunChunks(1, 2000);
        Assert.True(run.Executor.CompileQueueDrops > 0, "requests were dropped");
        Assert.Equal(0, run.Executor.LiveBodies); // nothing is installed before the next run
        run.RunChunks(30, 2000);
        Assert.True(run.Executor.LiveBodies > 1, $"dropped blocks were compiled later ({run.Executor.LiveBodies} live)");
    }

    [Fact]
    public void Compile_cost_is_counted()
    {
        using var m = new BareMetal(ComputeGuests.IntegerLoop);
        using var tier = new TieredExecutor(m.Cpu, m.Interpreter, threshold: 0) { Compilation = CompileMode.Background };
        tier.Run(100);
        tier.WaitForCompiles();
        long bytes = tier.IlBytes;
        Assert.True(tier.BlocksCompiled >= 1);
        // Every body holds at least one IL instruction per guest instruction; the loop block has 10.
        Assert.True(bytes >= 10, $"{bytes} IL bytes");
        Assert.True(tier.CompileTime > TimeSpan.Zero);
    }
}
