using System.Runtime.CompilerServices;
using JitVirt.Cpu.Memory;

namespace JitVirt.Mmu.Walker;

/// <summary>
/// The four PDPTE registers of PAE paging (SDM vol.3 §5.4.1). Architecturally they are loaded
/// from the 32-byte aligned PDPT at CR3[31:5] by MOV to CR3 in PAE mode, by the MOV to CR0/CR4
/// that enables PAE paging, and by a task switch — not on every walk.
/// </summary>
[InlineArray(Count)]
public struct PdpteRegisters
{
    /// <summary>One PDPTE per GiB of the 32-bit linear address space (linear bits 31:30 select it).</summary>
    public const int Count = 4;

    ulong _entry0;

    /// <summary>
    /// Loads the PDPTEs as the processor does (SDM vol.3 §5.4.1). Returns false when a present
    /// PDPTE sets a reserved bit (Table 5-8): the instruction that loads them must then raise #GP(0)
    /// and leave the old values in place.
    /// </summary>
    public static bool TryLoad(PhysicalMemory memory, ulong cr3, int maxPhysicalAddress, out PdpteRegisters registers)
    {
        registers = default;
        ulong table = cr3 & PagingContext.PaePdptBaseMask;
        ulong reserved = ReservedBits.PaePdpte(maxPhysicalAddress);
        bool valid = true;
        for (int i = 0; i < Count; i++)
        {
            ulong entry = memory.Read(table + (ulong)i * 8, 8);
            registers[i] = entry;
            if ((entry & PageTableEntry.Present) != 0 && (entry & reserved) != 0) valid = false;
        }
        return valid;
    }
}
