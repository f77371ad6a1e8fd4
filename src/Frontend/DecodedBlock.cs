using Iced.Intel;

namespace JitVirt.Frontend;

/// <summary>
/// A straight run of decoded guest instructions that starts at one guest-physical address and
/// ends at a control transfer, at the end of its 4 KiB page, or at the size cap. Instructions
/// were decoded with <see cref="DecodeRip"/> as their instruction pointer; the executor adds the
/// difference between the RIP it enters with and <see cref="DecodeRip"/> to position-dependent
/// values (branch targets, RIP-relative addresses), so a block serves every linear alias of its
/// physical page.
/// </summary>
public sealed class DecodedBlock
{
    public DecodedBlock(ulong physicalAddress, CodeMode mode, ulong decodeRip, Instruction[] instructions, ulong lastPhysicalPage)
    {
        PhysicalAddress = physicalAddress;
        Mode = mode;
        DecodeRip = decodeRip;
        Instructions = instructions;
        LastPhysicalPage = lastPhysicalPage;
    }

    public ulong PhysicalAddress { get; }
    public CodeMode Mode { get; }
    public ulong DecodeRip { get; }
    public Instruction[] Instructions { get; }

    /// <summary>Page frame of the last byte: differs from the first only for a page-crossing instruction.</summary>
    public ulong LastPhysicalPage { get; }

    public ulong FirstPhysicalPage => PhysicalAddress >> 12;

    /// <summary>Cleared when a write to one of the block's pages invalidates it.</summary>
    public bool IsValid = true;

    /// <summary>How often the executor has entered this block; the tiering heuristics read it.</summary>
    public long ExecutionCount;

    /// <summary>Executor-owned slots for block chaining (the block reached by falling through or by the taken branch).</summary>
    public DecodedBlock? NextFallThrough, NextTaken;
    public ulong NextFallThroughRip, NextTakenRip;

    /// <summary>Per-instruction execution handlers, filled by the executor (parallel to <see cref="Instructions"/>).</summary>
    public nint[]? Handlers;
}
