using JitVirt.TestGuests;
using Iced.Intel;
using Xunit;

namespace JitVirt.IlJit.Tests;

/// <summary>The benchmark loops, interpreter against tiered executor, compared at every block exit.</summary>
public sealed class ComputeGuestLockstepTests
{
    public static TheoryData<string> Guests => new() { nameof(ComputeGuests.IntegerLoop), nameof(ComputeGuests.MemoryCopyLoop), nameof(ComputeGuests.BranchyLoop) };

    static Action<Assembler> Program(string name) => name switch
    {
        nameof(ComputeGuests.IntegerLoop) => ComputeGuests.IntegerLoop,
        nameof(ComputeGuests.MemoryCopyLoop) => ComputeGuests.MemoryCopyLoop,
        _ => ComputeGuests.BranchyLoop,
    };

    [Theory]
    [MemberData(nameof(Guests))]
    public void Compiled_blocks_match_the_interpreter(string guest)
    {
        using var run = new Lockstep(Program(guest));
        run.Run(3000);
        Assert.True(run.Executor.BlocksCompiled > 0);
        Assert.True(run.Executor.CompiledBlockRuns > 1000);
    }

    /// <summary>
    /// Runs of many blocks with chaining on: blocks link to each other after their first round,
    /// and each run must stop at exactly the instruction the interpreter stops at (odd budgets put
    /// the end in the middle of a chained loop).
    /// </summary>
    [Theory]
    [MemberData(nameof(Guests))]
    public void Chained_runs_match_the_interpreter(string guest)
    {
        using var run = new Lockstep(Program(guest));
        foreach (long budget in new long[] { 1, 7, 97, 1000, 4099 })
            run.RunChunks(20, budget, dataBytes: 0x12000);
        Assert.True(run.Executor.LinksMade > 0, "blocks were chained");
        Assert.True(run.Tiered.Cpu.InstructionsRetired / run.Executor.CompiledBlockRuns > 20, "chained runs returned to the dispatcher rarely");
    }

    /// <summary>Above threshold 0 the executor interprets a block until it is hot, then switches to its compiled body.</summary>
    [Theory]
    [MemberData(nameof(Guests))]
    public void Cold_blocks_run_interpreted_until_hot(string guest)
    {
        using var run = new Lockstep(Program(guest), threshold: 50);
        run.Run(400);
        Assert.True(run.Executor.BlocksCompiled > 0);
        Assert.True(run.Executor.CompiledBlockRuns > 0);
        Assert.True(run.Executor.CompiledBlockRuns < 400 - 50);
    }
}
