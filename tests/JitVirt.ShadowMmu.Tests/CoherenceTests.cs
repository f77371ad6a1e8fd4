using JitVirt.Cpu.Memory;
using JitVirt.Mmu.Walker;
using JitVirt.ShadowMmu.Tests.Support;
using Xunit;
using static JitVirt.ShadowMmu.Tests.Support.GuestTables;
using Processor = JitVirt.Cpu.Cpu;
using Shadow = JitVirt.Mmu.Shadow.ShadowMmu;

namespace JitVirt.ShadowMmu.Tests;

/// <summary>
/// Guest page-table edits: a store through PhysicalMemory (write-protected frame) zaps the shadow
/// entries at once; a store that bypasses it (a host-pointer store, as through a writable
/// software-TLB entry) may leave a stale translation only until INVLPG or a CR3 reload.
/// </summary>
public sealed class CoherenceTests : IDisposable
{
    const ulong Linear = 0x0040_3000, FrameA = 0x0050_0000, FrameB = 0x0060_0000;

    readonly PhysicalMemory _memory = new(16 << 20);
    readonly GuestTables _tables;
    readonly Shadow _shadow;
    readonly Processor _cpu;
    readonly ulong _pte;

    public CoherenceTests()
    {
        _tables = new GuestTables(_memory, PagingMode.FourLevel);
        _pte = _tables.Map4K(Linear, FrameA, P | RW | US);
        _shadow = new Shadow(_memory);
        _cpu = new Processor(_memory, _shadow);
        _tables.Apply(_cpu);
        _cpu.FlushTlb();
    }

    public void Dispose() => _memory.Dispose();

    ulong Translate(AccessKind kind = AccessKind.Read)
    {
        Assert.True(_shadow.Translate(_cpu, Linear + 0x10, kind, false, out ulong physical, out _));
        return physical;
    }

    /// <summary>A PTE store that does not go through PhysicalMemory.Write (no write-protect event).</summary>
    void StorePteBehindTheShadowsBack(ulong value) => BitConverter.TryWriteBytes(_memory.RamSpan(_pte, 8), value);

    [Fact]
    public void A_page_table_frame_read_by_a_fill_is_watched_and_unwatched_when_nothing_depends_on_it()
    {
        Translate();
        Assert.True(_memory.IsPageTableFrame(_pte >> 12));
        Assert.True(_memory.IsWatchedFrame(_pte >> 12));
        Assert.Equal(4, _shadow.WatchedPageTableFrames); // PML4, PDPT, PD, PT
        Assert.Equal(1, _shadow.ShadowEntriesInUse);
        Assert.Equal(4, _shadow.ShadowPagesInUse); // one shadow table per guest table walked
        Assert.Equal(1, _shadow.ReverseMapEntries); // the data frame's one leaf spte
        _shadow.FlushAll();
        Assert.Equal(0, _shadow.ShadowPagesInUse);
        Assert.False(_memory.IsPageTableFrame(_pte >> 12));
        Assert.Equal(0, _shadow.ReverseMapEntries);
    }

    [Fact]
    public void A_write_to_a_guest_PTE_through_PhysicalMemory_zaps_the_shadow_entry_and_the_CPU_TLB()
    {
        Assert.True(_cpu.TranslateLinear(Linear, AccessKind.Read, false, out ulong before));
        Assert.Equal(FrameA, before);
        _tables.Write(_pte, FrameB | P | RW | US); // PhysicalMemory.Write: write-protect hit
        Assert.Equal(1, _shadow.Statistics.WriteProtectHits);
        Assert.Equal(1, _shadow.Statistics.Zaps);
        Assert.Equal(0, _shadow.ShadowEntriesInUse);
        Assert.True(_cpu.TranslateLinear(Linear, AccessKind.Read, false, out ulong after));
        Assert.Equal(FrameB, after);
    }

    [Fact]
    public void A_write_elsewhere_in_a_watched_frame_zaps_nothing()
    {
        Translate();
        _tables.Write(_pte + 8, FrameB | P); // the next PTE: no shadow entry read it
        Assert.Equal(1, _shadow.Statistics.WriteProtectHits);
        Assert.Equal(0, _shadow.Statistics.Zaps);
        Assert.Equal(1, _shadow.ShadowEntriesInUse);
    }

    [Fact]
    public void Clearing_a_PTE_is_seen_by_the_next_translation_without_INVLPG()
    {
        Translate();
        _tables.Write(_pte, 0);
        Assert.False(_shadow.Translate(_cpu, Linear, AccessKind.Read, false, out _, out uint error));
        Assert.Equal(0u, error); // not present, supervisor read
        Assert.Equal(1, _shadow.Statistics.GuestPageFaults);
    }

    [Fact]
    public void A_stale_entry_left_by_an_unwatched_store_is_dropped_by_INVLPG()
    {
        Translate();
        StorePteBehindTheShadowsBack(FrameB | P | RW | US | A);
        Assert.Equal(FrameA | 0x10, Translate()); // architecturally allowed: stale until INVLPG
        _cpu.FlushTlbPage(Linear); // what INVLPG does
        Assert.Equal(FrameB | 0x10, Translate());
    }

    [Fact]
    public void Shadow_pages_survive_a_CR3_reload()
    {
        Translate();
        _cpu.FlushTlb(); // MOV CR3 with the same value: the TLB goes, the write-protected shadow stays (KVM)
        Translate();
        Assert.Equal(1, _shadow.Statistics.ShadowFaults);
        Assert.Equal(1, _shadow.Statistics.Hits);
    }

    [Fact]
    public void A_CPU_store_through_a_TLB_entry_filled_before_the_frame_became_a_page_table_is_still_seen()
    {
        const ulong SelfMap = 0x0070_0000; // a linear page mapping the page table that maps Linear
        ulong tableFrame = _pte & ~0xFFFul;
        _tables.Map4K(SelfMap, tableFrame, P | RW | A | D);
        _cpu.WriteLinear<ulong>(SelfMap + 0xFF8, 0, false); // fills a writable host pointer to the frame
        Assert.Equal(FrameA | 0x10, Translate()); // shadows the frame: its write entries must go
        Assert.False(_cpu.Tlb.Holds(AccessKind.Write, false, SelfMap) && !_memory.IsWatchedFrame(tableFrame));
        _cpu.WriteLinear(SelfMap + (_pte & 0xFFF), FrameB | P | RW | US, false);
        Assert.Equal(FrameB | 0x10, Translate());
        Assert.Equal(1, _shadow.Statistics.Zaps);
    }

    [Fact]
    public void Removing_write_permission_is_enforced_after_INVLPG_and_the_error_code_is_the_guests()
    {
        Translate(AccessKind.Write);
        StorePteBehindTheShadowsBack(FrameA | P | US | A | D);
        _cpu.FlushTlbPage(Linear);
        Assert.False(_shadow.Translate(_cpu, Linear, AccessKind.Write, true, out _, out uint error));
        Assert.Equal((uint)(PageFaultErrorCode.Present | PageFaultErrorCode.Write | PageFaultErrorCode.User), error);
    }

    [Fact]
    public void INVLPG_anywhere_in_a_guest_large_page_drops_all_its_4K_shadow_entries()
    {
        const ulong Large = 0x0080_0000; // 2 MiB page at linear 8 MiB
        // Map the 2 MiB page through the PD that maps Linear (same PML4E/PDPTE).
        ulong pml4e = _tables.EntryAddress(_tables.Root, Large, 4);
        ulong pdpt = _tables.Read(pml4e) & 0x000F_FFFF_FFFF_F000;
        ulong pdTable = _tables.Read(_tables.EntryAddress(pdpt, Large, 3)) & 0x000F_FFFF_FFFF_F000;
        ulong pde = _tables.EntryAddress(pdTable, Large, 2);
        _tables.Write(pde, 0x00A0_0000 | P | RW | PS | A | D); // 2 MiB aligned (bits 20:13 are reserved, Table 5-18)
        foreach (ulong offset in new ulong[] { 0x1000, 0x5000, 0x1F_F000 })
            Assert.True(_shadow.Translate(_cpu, Large + offset, AccessKind.Read, false, out _, out _));
        Assert.Equal(3, _shadow.ShadowEntriesInUse);
        BitConverter.TryWriteBytes(_memory.RamSpan(pde, 8), FrameB | P | RW | PS | A | D);
        _cpu.FlushTlbPage(Large + 0x3000); // a page never translated, inside the large page
        foreach (ulong offset in new ulong[] { 0x1000, 0x5000, 0x1F_F000 })
        {
            Assert.True(_shadow.Translate(_cpu, Large + offset, AccessKind.Read, false, out ulong physical, out _));
            Assert.Equal(FrameB + offset, physical);
        }
    }

    [Fact]
    public void A_write_through_a_read_filled_entry_re_walks_to_set_the_dirty_flag()
    {
        Translate(AccessKind.Read);
        Assert.Equal(0ul, _tables.Read(_pte) & D);
        Translate(AccessKind.Write);
        Assert.Equal(D, _tables.Read(_pte) & D);
        Assert.Equal(2, _shadow.Statistics.ShadowFaults);
        Translate(AccessKind.Write);
        Assert.Equal(1, _shadow.Statistics.Hits);
    }
}
