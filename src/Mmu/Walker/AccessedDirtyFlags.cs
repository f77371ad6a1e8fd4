using JitVirt.Cpu.Memory;

namespace JitVirt.Mmu.Walker;

/// <summary>
/// Sets accessed and dirty flags after a successful translation (SDM vol.3 §5.8): A in every
/// paging-structure entry used (not in PAE PDPTEs, which have none), D in the entry that maps the
/// page when the access is a write.
/// </summary>
/// <remarks>
/// Nothing is written for a walk that faults. §5.8 defines the flags for entries used "as part of
/// linear-address translation"; processors may still set A in upper-level entries of a walk that
/// then faults (kvm-unit-tests' access test accepts either for the PDE), but not A or D in the
/// entry that maps the page. Writing nothing is the conservative choice and keeps a fault free of
/// side effects. Only the low byte of an entry (which holds bits 5 and 6)
/// is written, and only when a flag changes, through <see cref="PhysicalMemory.Write"/> so that a
/// page table sharing a frame with decoded code still invalidates it. The flags are written after
/// the walk, top level first; a locked compare-and-exchange against another vCPU editing the same
/// entry would need a primitive PhysicalMemory does not have yet.
/// </remarks>
public static class AccessedDirtyFlags
{
    public static void Set(PhysicalMemory memory, ref WalkPath path, bool write)
    {
        int leaf = path.Count - 1;
        for (int i = path.FirstEntryWithAccessedFlag; i <= leaf; i++)
        {
            ulong flags = PageTableEntry.Accessed;
            if (i == leaf && write) flags |= PageTableEntry.Dirty;
            ulong entry = path.Entries[i];
            if ((entry & flags) == flags) continue;
            memory.Write(path.EntryAddresses[i], 1, (entry | flags) & 0xFF);
            path.Entries[i] = entry | flags;
        }
    }
}
