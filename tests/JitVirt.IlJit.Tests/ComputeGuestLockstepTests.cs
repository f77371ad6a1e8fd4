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
}
