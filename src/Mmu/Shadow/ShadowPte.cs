using System.Runtime.CompilerServices;
using JitVirt.Mmu.Walker;

namespace JitVirt.Mmu.Shadow;

/// <summary>Guest-physical addresses of the paging-structure entries one translation was read from, top level first.</summary>
[InlineArray(WalkPath.MaxEntries)]
public struct GuestEntryAddresses
{
    ulong _slot0;
}

/// <summary>
/// One shadow translation of a 4 KiB linear page (KVM: a shadow PTE plus the gfn it maps): the
/// guest frame, the combined rights of the guest walk (SDM vol.3 §5.6), whether the guest's
/// leaf entry is dirty, and the guest entries the walk depended on (for zapping on their edit).
/// Guest large pages (2 MiB / 4 MiB) are split into 4 KiB shadow entries, each remembering the
/// large page's linear base so INVLPG anywhere in it drops them all.
/// </summary>
public struct ShadowPte
{
    /// <summary>Guest-physical address of the 4 KiB frame the page maps.</summary>
    public ulong GuestFrame;

    public PageRights Rights;

    /// <summary>D was set in the guest's leaf entry when the entry was filled: writes may hit; otherwise a write re-walks to set D (SDM vol.3 §5.8).</summary>
    public bool Dirty;

    /// <summary>Size of the guest page: 4 KiB, 2 MiB or 4 MiB.</summary>
    public ulong GuestPageSize;

    public int PathCount;
    public GuestEntryAddresses PathEntries;

    /// <summary>Bytes per guest entry: 4 (32-bit paging) or 8.</summary>
    public int EntrySize;

    /// <summary>True when a write of <paramref name="size"/> bytes at <paramref name="address"/> overlaps one of the guest entries this translation was read from.</summary>
    public readonly bool DependsOn(ulong address, int size)
    {
        for (int i = 0; i < PathCount; i++)
        {
            ulong e = PathEntries[i];
            if (address < e + (ulong)EntrySize && e < address + (ulong)size) return true;
        }
        return false;
    }
}
