using Iced.Intel;
using JitVirt.Frontend;

namespace JitVirt.IlJit;

/// <summary>
/// The translation unit of the IL tier: a hot head block plus the blocks it reaches by direct
/// branches and fall-through whose bytes all lie on the head's guest-physical page, compiled into
/// one body. Inside it a transfer between two member blocks is an IL branch; anything else leaves.
/// The region is keyed by its head and entered only there (a member entered from elsewhere grows
/// its own region once it is hot). Since every member lies on the head's first frame, the write
/// that invalidates a member invalidates the head with it, so the per-frame invalidation and
/// demotion of single blocks stay valid for regions unchanged.
/// Only 64-bit code forms regions of more than one block: CS.base is 0 there (SDM vol.1
/// §3.4.2.1), so a target on the current linear page is on the current physical page, and a
/// same-page target is canonical, so a direct branch to it cannot raise #GP (SDM vol.2 Jcc, JMP).
/// </summary>
public sealed class Region
{
    Region(DecodedBlock[] blocks)
    {
        Blocks = blocks;
        Successors = new Edge[blocks.Length][];
        for (int j = 0; j < blocks.Length; j++)
        {
            var ips = StaticSuccessors(blocks[j]);
            var edges = new Edge[ips.Count];
            for (int s = 0; s < ips.Count; s++) edges[s] = new Edge(ips[s], blocks[0].Mode == CodeMode.Bits64 ? IndexOf(blocks, ips[s]) : -1);
            Successors[j] = edges;
        }
    }

    /// <summary>Member blocks, the head first, in the order they are emitted.</summary>
    public DecodedBlock[] Blocks { get; }

    public DecodedBlock Head => Blocks[0];

    /// <summary>Per member: its static successors (decoded IP, and the member there, or −1: the region is left).</summary>
    public Edge[][] Successors { get; }

    public int Instructions => Blocks.Sum(b => b.Instructions.Length);

    /// <summary>False once any member was invalidated (a body must then not be installed).</summary>
    public bool IsValid => Blocks.All(b => b.IsValid);

    /// <summary>A static successor: where the branch or fall-through goes, and the member there (−1: none).</summary>
    public readonly record struct Edge(ulong Ip, int Target);

    /// <summary>
    /// A region of one block: what the IL tier compiled before regions, and what non-64-bit code
    /// still gets. In 64-bit code a branch back to the block's own start is still an internal edge.
    /// </summary>
    public static Region Single(DecodedBlock block) => new([block]);

    /// <summary>
    /// Grows a region from <paramref name="head"/> breadth-first along static successors on its
    /// page while the instruction total stays within <paramref name="maxInstructions"/> (the head
    /// is always in). <paramref name="peek"/> finds or decodes the block at a decoded IP and
    /// physical address on the head's page (null: none can be decoded there).
    /// </summary>
    public static Region Form(DecodedBlock head, int maxInstructions, Func<ulong, ulong, DecodedBlock?> peek)
    {
        if (head.Mode != CodeMode.Bits64 || head.Handlers is null) return Single(head);
        var members = new List<DecodedBlock> { head };
        var seen = new HashSet<ulong> { head.DecodeRip };
        int total = head.Instructions.Length;
        for (int j = 0; j < members.Count; j++)
        {
            foreach (ulong ip in StaticSuccessors(members[j]))
            {
                if (!seen.Add(ip) || OffsetOnPage(head, ip) is not { } offset) continue;
                var block = peek(ip, (head.PhysicalAddress & ~0xFFFul) + (ulong)offset);
                if (block is null || !Fits(head, block) || total + block.Instructions.Length > maxInstructions) continue;
                members.Add(block);
                total += block.Instructions.Length;
            }
        }
        return new Region(members.ToArray());
    }

    /// <summary>
    /// A member must be valid, decoded with handlers, in 64-bit mode, wholly on the head's first
    /// frame, and decoded at the same linear alias as the head (so one CodeDelta relocates all).
    /// </summary>
    static bool Fits(DecodedBlock head, DecodedBlock block)
        => block.IsValid && block.Handlers is not null && block.Mode == CodeMode.Bits64 && block.Instructions.Length > 0
            && block.FirstPhysicalPage == head.FirstPhysicalPage && block.LastPhysicalPage == head.FirstPhysicalPage
            && block.DecodeRip - block.PhysicalAddress == head.DecodeRip - head.PhysicalAddress;

    /// <summary>The page offset of decoded IP <paramref name="ip"/> if it lies on the head's first page.</summary>
    static long? OffsetOnPage(DecodedBlock head, ulong ip)
    {
        long offset = (long)(head.PhysicalAddress & 0xFFF) + (long)(ip - head.DecodeRip);
        return offset is >= 0 and < 4096 ? offset : null;
    }

    /// <summary>True when decoded IP <paramref name="ip"/> lies on the page of <paramref name="block"/>'s first byte.</summary>
    public static bool OnPageOf(DecodedBlock block, ulong ip) => OffsetOnPage(block, ip) is not null;

    /// <summary>The member decoded at <paramref name="ip"/> (members share one decode alias, so the IP names one), or −1.</summary>
    static int IndexOf(DecodedBlock[] blocks, ulong ip)
    {
        for (int k = 0; k < blocks.Length; k++)
            if (blocks[k].DecodeRip == ip) return k;
        return -1;
    }

    /// <summary>
    /// Decoded IPs control can reach from the block's end without a computed target: the taken
    /// target of a direct JMP/Jcc/JRCXZ/LOOP (64-bit operand: NearBranch64), and the next
    /// instruction after a conditional branch or after a block cut at the decoder's cap.
    /// </summary>
    public static List<ulong> StaticSuccessors(DecodedBlock block)
    {
        var result = new List<ulong>(2);
        ref readonly Instruction last = ref block.Instructions[^1];
        if (last.IsInvalid) return result;
        switch (last.FlowControl)
        {
            case FlowControl.Next:
                result.Add(last.NextIP);
                break;
            case FlowControl.UnconditionalBranch when last.Op0Kind == OpKind.NearBranch64:
                result.Add(last.NearBranch64);
                break;
            case FlowControl.ConditionalBranch when last.Op0Kind == OpKind.NearBranch64:
                result.Add(last.NearBranch64);
                if (last.NextIP != last.NearBranch64) result.Add(last.NextIP);
                break;
        }
        return result;
    }
}
