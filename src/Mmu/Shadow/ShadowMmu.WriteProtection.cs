using JitVirt.Mmu.Walker;

namespace JitVirt.Mmu.Shadow;

// The write-protect path (KVM 2.6.20: kvm_mmu_pre_write): a store to a shadowed guest table clears
// the sptes that shadow the entry written (the next access faults the new value in), or zaps the
// whole shadow page when the store spans entries or the frame is being flooded.
public sealed partial class ShadowMmu
{
    /// <summary>Writes in a row to one frame, with no walk through it in between, that make it "no longer a page table" (2.6.20: 3).</summary>
    public const int FloodThreshold = 3;

    ulong _lastWrittenFrame = ulong.MaxValue;
    int _lastWriteCount;

    void OnPageTableFrameWritten(ulong address, int size)
    {
        // Accessed/dirty updates by this MMU's own walk only add A and D: the fault re-fills the leaf.
        if (_walking) return;
        Statistics.WriteProtectHits++;
        ulong frame = address >> 12;
        if (!_pagesByFrame.TryGetValue(frame, out var pages))
        {
            _memory.UnwatchPageTableFrame(frame);
            return;
        }
        bool flooded = false;
        if (frame == _lastWrittenFrame)
        {
            if (++_lastWriteCount >= FloodThreshold) flooded = true;
        }
        else
        {
            _lastWrittenFrame = frame;
            _lastWriteCount = 1;
        }
        if (flooded) Statistics.Floods++;

        int offset = (int)(address & 0xFFF);
        _pageScratch.Clear();
        _pageScratch.AddRange(pages); // zapping edits the list
        foreach (var page in _pageScratch)
        {
            int entrySize = page.Role.GuestEntrySize;
            bool misaligned = ((offset ^ (offset + size - 1)) & ~(entrySize - 1)) != 0;
            if (misaligned || flooded) ZapPage(page);
            else ClearShadowsOf(page, offset / entrySize);
        }
        FlushCpuTlbIfNeeded();
    }

    /// <summary>Clears the sptes of <paramref name="page"/> that shadow guest entry <paramref name="guestIndex"/> of its frame.</summary>
    void ClearShadowsOf(ShadowPage page, int guestIndex)
    {
        ShadowPageRole role = page.Role;
        switch (role.GuestMode, role.Level)
        {
            case (PagingMode.ThirtyTwoBit, 1):
                // Guest PTE i is entry i % 512 of quadrant i / 512.
                if (guestIndex >> 9 == role.Quadrant) Zap(page, guestIndex & 0x1FF);
                break;
            case (PagingMode.ThirtyTwoBit, 2):
                // Guest PDE i (4 MiB) is shadow PDEs 2(i % 256) and 2(i % 256) + 1 (2 MiB each) of quadrant i / 256.
                if (guestIndex >> 8 != role.Quadrant) break;
                Zap(page, (guestIndex & 0xFF) * 2);
                Zap(page, (guestIndex & 0xFF) * 2 + 1);
                break;
            case (PagingMode.Pae, 3):
                // The root shadows the four PDPTEs at CR3[11:5] in its frame.
                int slot = guestIndex - role.Quadrant * 4;
                if (slot is >= 0 and < 4) Zap(page, slot);
                break;
            default:
                Zap(page, guestIndex);
                break;
        }
    }

    void Zap(ShadowPage page, int index)
    {
        if (ClearEntry(page, index)) Statistics.Zaps++;
    }
}
