using Iced.Intel;
using JitVirt.Frontend;

namespace JitVirt.IlJit;

/// <summary>
/// A region's compiled code (<see cref="IlJit.Region"/>; one block is a region of one), keyed by
/// its head <see cref="Block"/>, with its chaining state: outgoing <see cref="ChainSlot"/>s (two
/// for a block, the taken and the fall-through path; a region gets one per static exit, up to
/// <see cref="MaxSlots"/>; a slot is matched by RIP, so an indirect exit caches its last target
/// the same way) and the list of slots in other bodies that lead here, so invalidating the head
/// unlinks every transfer into it.
/// </summary>
public sealed class CompiledBlock
{
    /// <summary>Slots a region body has at most (one per distinct static exit target; indirect exits share them).</summary>
    public const int MaxSlots = 4;

    public CompiledBlock(Region region, Instruction[] insns, int slots, CompiledBody body, ChainState state, int ilBytes)
    {
        Region = region;
        Block = region.Head;
        Body = body;
        Insns = insns;
        State = state;
        IlBytes = ilBytes;
        Slots = new ChainSlot[Math.Clamp(slots, 2, MaxSlots)];
        for (int k = 0; k < Slots.Length; k++) Slots[k] = new ChainSlot();
    }

    /// <summary>The head block: the region's key and its only entry.</summary>
    public DecodedBlock Block { get; }

    public Region Region { get; }
    public readonly CompiledBody Body;

    /// <summary>Every member's instructions, the head's first (the helpers' <c>in Instruction</c> arguments).</summary>
    public readonly Instruction[] Insns;

    /// <summary>Instructions of the head block: what the remaining budget must cover to enter the body.</summary>
    public int EntryLength => Block.Instructions.Length;

    public readonly ChainSlot[] Slots;
    public ChainSlot First => Slots[0];
    public ChainSlot Second => Slots[1];
    public readonly List<ChainSlot> Incoming = new();

    /// <summary>Size of the body's IL in bytes (what the .NET JIT compiled).</summary>
    public int IlBytes { get; }

    /// <summary>Members whose last flag record is written only on the paths that leave the region (<see cref="DeferredFlagRecord"/>).</summary>
    public int DeferredFlagRecords { get; init; }

    /// <summary>InstructionsRetired when the body was last entered (the body writes it): the LRU order of live bodies.</summary>
    public long LastRun;

    /// <summary>Shared by every block of one executor: the body that last returned at its end writes itself there.</summary>
    public readonly ChainState State;

    /// <summary>Runs the body (and whatever it chains to) within <paramref name="budgetEnd"/>.</summary>
    public int Run(JitVirt.Cpu.Cpu cpu, long budgetEnd) => Body(cpu, Insns, budgetEnd, this);

    /// <summary>Unlinks every exit (the region's successors are no longer reached from here).</summary>
    public void UnlinkExits()
    {
        foreach (var slot in Slots) slot.Unlink();
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
