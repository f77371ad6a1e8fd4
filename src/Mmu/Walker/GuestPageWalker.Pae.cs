using JitVirt.Cpu.Memory;

namespace JitVirt.Mmu.Walker;

// PAE paging (SDM vol.3 §5.4): 8-byte entries, PDPTE (no rights, no A flag), PDE, PTE; 2-MByte pages.
public sealed partial class GuestPageWalker
{
    const ulong Page2M = 1ul << 21;

    static void WalkPae(PhysicalMemory memory, in PagingContext context, uint linear, ref WalkPath path)
    {
        path.Begin(entrySize: 8, firstEntryWithAccessedFlag: 1);

        // PDPTE i = linear[31:30], from the PDPTE registers or the PDPT at CR3[31:5] (§5.4.1).
        uint index = linear >> 30;
        ulong pdpteAddress = (context.Cr3 & PagingContext.PaePdptBaseMask) + index * 8;
        ulong pdpte;
        if (context.HasPdpteRegisters)
        {
            pdpte = context.Pdptes[(int)index];
            path.Record(pdpteAddress, pdpte);
            if ((pdpte & PageTableEntry.Present) == 0) { path.Status = WalkStatus.NotPresent; return; }
        }
        else if (!ReadPresent(memory, ref path, pdpteAddress, out pdpte)) return;
        if (!HasNoReservedBits(ref path, pdpte, ReservedBits.PaePdpte(context.MaxPhysicalAddress))) return;

        // PDE: PDPTE[M-1:12], linear[29:21], 000 (§5.4.2).
        ulong pdeAddress = (pdpte & context.AddressMask) | (((ulong)linear >> 21 & 0x1FF) << 3);
        if (!ReadPresent(memory, ref path, pdeAddress, out ulong pde)) return;
        if ((pde & PageTableEntry.PageSize) != 0)
        {
            if (!HasNoReservedBits(ref path, pde, context.EntryReservedBits | ReservedBits.LargePde2M)) return;
            path.Restrict(pde);
            path.MapPage(pde & context.AddressMask & ~(Page2M - 1), Page2M);
            return;
        }
        if (!HasNoReservedBits(ref path, pde, context.EntryReservedBits)) return;
        path.Restrict(pde);

        // PTE: PDE[M-1:12], linear[20:12], 000.
        ulong pteAddress = (pde & context.AddressMask) | (((ulong)linear >> 12 & 0x1FF) << 3);
        if (!ReadPresent(memory, ref path, pteAddress, out ulong pte)) return;
        if (!HasNoReservedBits(ref path, pte, context.EntryReservedBits)) return;
        path.Restrict(pte);
        path.MapPage(pte & context.AddressMask, Page4K);
    }
}
