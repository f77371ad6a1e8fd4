using JitVirt.Cpu.Memory;

namespace JitVirt.Mmu.Walker;

// 32-bit paging (SDM vol.3 §5.3): 4-byte entries, PDE then PTE, 4-MByte pages with CR4.PSE.
public sealed partial class GuestPageWalker
{
    const ulong Page4M = 1ul << 22;

    /// <summary>Bits 31:12 of a 32-bit PDE/PTE: page table or page frame address (Tables 5-5, 5-6).</summary>
    const ulong ThirtyTwoBitFrameMask = 0xFFFF_F000;

    /// <summary>Bits 31:22 of a 4-MByte PDE: the page address (Table 5-4; bits 39:32 are 0 without PSE-36).</summary>
    const ulong ThirtyTwoBitLargeFrameMask = 0xFFC0_0000;

    static void WalkThirtyTwoBit(PhysicalMemory memory, in PagingContext context, uint linear, ref WalkPath path)
    {
        path.Begin(entrySize: 4, firstEntryWithAccessedFlag: 0);

        // PDE: CR3[31:12], linear[31:22], 00 (§5.3).
        ulong pdeAddress = (context.Cr3 & PagingContext.ThirtyTwoBitDirectoryBaseMask) | ((ulong)(linear >> 22) << 2);
        if (!ReadPresent(memory, ref path, pdeAddress, out ulong pde)) return;
        path.Restrict(pde);

        // PS selects a 4-MByte page only when CR4.PSE = 1; otherwise it is ignored (Table 5-5).
        if (context.PageSizeExtensions && (pde & PageTableEntry.PageSize) != 0)
        {
            if (!HasNoReservedBits(ref path, pde, ReservedBits.ThirtyTwoBitLargePde)) return;
            path.MapPage(pde & ThirtyTwoBitLargeFrameMask, Page4M);
            return;
        }

        // PTE: PDE[31:12], linear[21:12], 00. 32-bit paging PTEs have no reserved bits (§5.3).
        ulong pteAddress = (pde & ThirtyTwoBitFrameMask) | ((ulong)((linear >> 12) & 0x3FF) << 2);
        if (!ReadPresent(memory, ref path, pteAddress, out ulong pte)) return;
        path.Restrict(pte);
        path.MapPage(pte & ThirtyTwoBitFrameMask, Page4K);
    }
}
