using Iced.Intel;
using JitVirt.Frontend;

namespace JitVirt.IlJit;

/// <summary>
/// A decoded block's compiled code with its chaining state: two outgoing <see cref="ChainSlot"/>s
/// (a block has at most two static successors, the taken and the fall-through path; a slot is
/// matched by RIP, so an indirect exit caches its last target the same way) and the list of slots in
/// other blocks that lead here, so invalidating this block unlinks every transfer into it.
/// </summary>
public sealed class CompiledBlock
{
    public CompiledBlock(DecodedBlock block, CompiledBody body, ChainState state, int ilBytes)
    {
        Block = block;
        Body = body;
        Insns = block.Instructions;
        State = state;
        IlBytes = ilBytes;
    }

    public DecodedBlock Block { get; }
    public readonly CompiledBody Body;
    public readonly Instruction[] Insns;
    public readonly ChainSlot First = new(), Second = new();
    public readonly List<ChainSlot> Incoming = new();

    /// <summary>Size of the body's IL in bytes (what the .NET JIT compiled).</summary>
    public int IlBytes { get; }

    /// <summary>InstructionsRetired when the body was last entered (the body writes it): the LRU order of live bodies.</summary>
    public long LastRun;

    /// <summary>Shared by every block of one executor: the body that last returned at its end writes itself there.</summary>
    public readonly ChainState State;

    /// <summary>Runs the body (and whatever it chains to) within <paramref name="budgetEnd"/>.</summary>
    public int Run(JitVirt.Cpu.Cpu cpu, long budgetEnd) => Body(cpu, Insns, budgetEnd, this);

    /// <summary>Unlinks both exits (this block's successors are no longer reached from here).</summary>
    public void UnlinkExits()
    {
        First.Unlink();
        Second.Unlink();
    }
}

/// <summary>
/// A patchable exit: when the block ends with RIP = <see cref="Rip"/>, the body sets CodeDelta and
/// tail-calls <see cref="Target"/>'s body (null: not linked).
/// </summary>
public sealed class ChainSlot
{
    public ulong Rip;
    public ulong CodeDelta;
    public long Length;
    public CompiledBlock? Target;

    public void Unlink() => Target = null;
}

/// <summary>Per-executor chaining state the compiled bodies write.</summary>
public sealed class ChainState
{
    /// <summary>The block whose body last returned at its end (not through a pending exit); the executor links from it.</summary>
    public CompiledBlock? Last;
}
