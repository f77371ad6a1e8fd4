using JitVirt.Cpu.Memory;
using JitVirt.Mmu.Walker;

namespace JitVirt.Mmu.Shadow;

// The shadow fault (KVM: FNAME(page_fault)): walk the guest tables; a fault they explain goes back
// to the guest with the walker's error code; otherwise fetch: link the missing shadow levels and
// set the leaf spte.
public sealed partial class ShadowMmu
{
    const ulong Page2M = 1ul << 21;

    bool ShadowFault(ShadowPage root, in PagingContext context, ulong linear, AccessKind kind, bool user, out ulong physical, out uint pageFaultErrorCode)
    {
        ReclaimIfNeeded();
        WalkResult result;
        _walking = true;
        try { result = GuestPageWalker.Walk(_memory, in context, linear, kind, user); }
        finally { _walking = false; }

        if (!result.Succeeded)
        {
            Statistics.GuestPageFaults++;
            _lastWriteCount = 0; // KVM's fork detector reset
            physical = 0;
            pageFaultErrorCode = (uint)result.ErrorCode;
            return false;
        }
        Statistics.ShadowFaults++;
        WalkPath path = result.Path;
        for (int i = 0; i < path.Count; i++)
            if (path.EntryAddresses[i] >> 12 == _lastWrittenFrame) _lastWriteCount = 0; // the written table is in use: not a flood

        ShadowPage leafTable = FetchLeafTable(root, in context, linear, in path);
        ulong frame = result.PhysicalAddress & ShadowPte.FrameMask;
        bool protectedFrame = _pagesByFrame.ContainsKey(frame >> 12);
        if (kind == AccessKind.Write && protectedFrame) Statistics.WriteProtectEmulations++;
        SetLeaf(leafTable, IndexAt(linear, 1), LeafSpte(frame, in path, protectedFrame));
        FlushCpuTlbIfNeeded();
        _tlbMayHoldShadowEntries = true;
        physical = result.PhysicalAddress;
        pageFaultErrorCode = 0;
        return true;
    }

    /// <summary>KVM's set_pte_common: guest rights, D, and W only when the guest allows it, D is set and the frame is not a shadowed table.</summary>
    static ulong LeafSpte(ulong frame, in WalkPath path, bool protectedFrame)
    {
        bool dirty = (path.LeafEntry & PageTableEntry.Dirty) != 0;
        bool guestWritable = (path.Rights & PageRights.Write) != 0;
        ulong spte = frame | ShadowPte.Present;
        if ((path.Rights & PageRights.User) != 0) spte |= ShadowPte.User;
        if ((path.Rights & PageRights.Execute) == 0) spte |= ShadowPte.NoExecute;
        if (dirty) spte |= ShadowPte.Dirty;
        if (guestWritable) spte |= ShadowPte.GuestWritable;
        if (guestWritable && dirty && !protectedFrame) spte |= ShadowPte.Writable;
        return spte;
    }

    /// <summary>
    /// Descends from <paramref name="root"/> to the level-1 shadow table for <paramref name="linear"/>,
    /// replacing any link whose child no longer matches the guest walk (another table, other rights)
    /// and creating the missing ones (KVM's <c>fetch</c> with <c>kvm_mmu_get_page</c>).
    /// </summary>
    ShadowPage FetchLeafTable(ShadowPage root, in PagingContext context, ulong linear, in WalkPath path)
    {
        ShadowPage page = root;
        Touch(root);
        for (int level = root.Level; level > 1; level--)
        {
            ChildFor(page.Role, in context, level, linear, in path, out ulong frame, out ShadowPageRole role);
            int index = IndexAt(linear, level);
            page.Children ??= new ShadowPage?[ShadowPage.EntryCount];
            ShadowPage? child = page.Children[index];
            if (child is null || child.GuestFrame != frame || child.Role != role)
            {
                if (child is not null) Unlink(page, index);
                child = GetPage(frame, role);
                Link(page, index, child);
            }
            Touch(child);
            page = child;
        }
        return page;
    }

    /// <summary>
    /// The guest frame and role of the shadow table one level below <paramref name="level"/>, from
    /// the walk. Guest levels map onto shadow levels as KVM's: 4-level paging one to one; PAE with
    /// the PDPT as the level-3 root; 32-bit paging with a metaphysical level-3 root over four
    /// quadrants of the guest directory, and two shadow tables per guest page table.
    /// </summary>
    static void ChildFor(ShadowPageRole parent, in PagingContext context, int level, ulong linear, in WalkPath path, out ulong frame, out ShadowPageRole role)
    {
        // Path index of the guest entry that the shadow entry at `level` mirrors.
        int guestLevels = context.Mode switch { PagingMode.ThirtyTwoBit => 2, PagingMode.Pae => 3, _ => 4 };
        int pathIndex = guestLevels - level;
        if (pathIndex < 0)
        {
            // 32-bit paging, shadow level 3: the guest directory's quadrant for linear[31:30].
            frame = (context.Cr3 & PagingContext.ThirtyTwoBitDirectoryBaseMask) >> 12;
            role = parent.Child((int)(linear >> 30) & 3, metaphysical: false, PageRights.All, dirty: false);
            return;
        }
        PageRights access = RightsThrough(in path, pathIndex);
        ulong entry = path.Entries[pathIndex];
        bool mapsPage = pathIndex == path.Count - 1;
        if (mapsPage)
        {
            // A guest large page: split into 4 KiB sptes in a metaphysical table per 2 MiB piece.
            ulong piece = path.PageBase + (linear & (path.PageSize - 1) & ~(Page2M - 1));
            frame = piece >> 12;
            role = parent.Child(0, metaphysical: true, access, dirty: (entry & PageTableEntry.Dirty) != 0);
            return;
        }
        if (context.Mode == PagingMode.ThirtyTwoBit)
        {
            // A 1024-entry guest page table maps 4 MiB; each shadow table covers the half for linear[21].
            frame = (entry & 0xFFFF_F000) >> 12;
            role = parent.Child((int)(linear >> 21) & 1, metaphysical: false, access, dirty: false);
            return;
        }
        frame = (entry & context.AddressMask) >> 12;
        role = parent.Child(0, metaphysical: false, access, dirty: false);
    }

    /// <summary>The rights of guest entries 0..<paramref name="lastIndex"/> (a PAE PDPTE controls none, SDM vol.3 §5.4.1).</summary>
    static PageRights RightsThrough(in WalkPath path, int lastIndex)
    {
        var rights = PageRights.All;
        for (int i = path.FirstEntryWithAccessedFlag; i <= lastIndex; i++) rights &= PageRightsOf.Entry(path.Entries[i]);
        return rights;
    }
}
