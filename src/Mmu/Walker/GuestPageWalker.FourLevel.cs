using JitVirt.Cpu.Memory;

namespace JitVirt.Mmu.Walker;

// 4-level paging (SDM vol.3 §5.5): PML4E, PDPTE, PDE, PTE; 2-MByte pages; no 1-GByte pages.
public sealed partial class GuestPageWalker
{
    const int Pml4Level = 4, PdptLevel = 3, DirectoryLevel = 2;

    static void WalkFourLevel(PhysicalMemory memory, in PagingContext context, ulong linear, ref WalkPath path)
    {
        path.Begin(entrySize: 8, firstEntryWithAccessedFlag: 0);

        // The PML4 is at CR3[M-1:12] (Table 5-12; CR4.PCIDE does not exist here).
        ulong table = context.Cr3 & context.AddressMask;
        for (int level = Pml4Level; level >= 1; level--)
        {
            // Each level indexes 9 linear-address bits: 47:39, 38:30, 29:21, 20:12 (§5.5.2).
            int shift = 12 + 9 * (level - 1);
            ulong entryAddress = table | ((linear >> shift & 0x1FF) << 3);
            if (!ReadPresent(memory, ref path, entryAddress, out ulong entry)) return;
            bool mapsPage = level == 1 || (level == DirectoryLevel && (entry & PageTableEntry.PageSize) != 0);
            if (!HasNoReservedBits(ref path, entry, context.EntryReservedBits | FourLevelExtraReserved(level, mapsPage))) return;
            path.Restrict(entry);
            if (mapsPage)
            {
                ulong size = 1ul << shift;
                path.MapPage(entry & context.AddressMask & ~(size - 1), size);
                return;
            }
            table = entry & context.AddressMask;
        }
    }

    /// <summary>Level-specific reserved bits: PS of a PML4E (Table 5-15) and of a PDPTE (no 1-GByte pages), bits 20:13 of a 2-MByte PDE (Table 5-18).</summary>
    static ulong FourLevelExtraReserved(int level, bool mapsPage) => level switch
    {
        Pml4Level => ReservedBits.Pml4ePageSize,
        PdptLevel => ReservedBits.PdptePageSize,
        DirectoryLevel when mapsPage => ReservedBits.LargePde2M,
        _ => 0,
    };
}
