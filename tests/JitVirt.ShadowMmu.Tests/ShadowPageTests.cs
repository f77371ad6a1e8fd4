using JitVirt.Cpu.Memory;
using JitVirt.Mmu.Walker;
using JitVirt.ShadowMmu.Tests.Support;
using Xunit;
using static JitVirt.ShadowMmu.Tests.Support.GuestTables;
using Processor = JitVirt.Cpu.Cpu;
using Shadow = JitVirt.Mmu.Shadow.ShadowMmu;

namespace JitVirt.ShadowMmu.Tests;

/// <summary>Shadow-page bookkeeping: the flood heuristic, 32-bit quadrants, reclaim at the page limit, the tag hook.</summary>
public sealed class ShadowPageTests : IDisposable
{
    readonly PhysicalMemory _memory = new(16 << 20);

    public void Dispose() => _memory.Dispose();

    (GuestTables Tables, Shadow Shadow, Processor Cpu) Build(PagingMode mode, int maxShadowPages = Shadow.DefaultMaxShadowPages)
    {
        var tables = new GuestTables(_memory, mode);
        var shadow = new Shadow(_memory, maxShadowPages: maxShadowPages);
        var cpu = new Processor(_memory, shadow);
        tables.Apply(cpu);
        return (tables, shadow, cpu);
    }

    static ulong Translate(Shadow shadow, Processor cpu, ulong linear)
    {
        Assert.True(shadow.Translate(cpu, linear, AccessKind.Read, false, out ulong physical, out _));
        return physical;
    }

    [Fact]
    public void Three_writes_in_a_row_to_a_shadowed_table_with_no_walk_between_unshadow_it()
    {
        var (tables, shadow, cpu) = Build(PagingMode.FourLevel);
        ulong pte = tables.Map4K(0x0040_0000, 0x50_0000, P | RW);
        Translate(shadow, cpu, 0x0040_0000);
        ulong ptFrame = pte >> 12;
        Assert.True(_memory.IsPageTableFrame(ptFrame));

        for (int i = 1; i <= Shadow.FloodThreshold; i++) tables.Write(pte + 8ul * (ulong)i, 0); // other PTEs of the same table
        Assert.Equal(1, shadow.Statistics.Floods);
        Assert.False(_memory.IsPageTableFrame(ptFrame)); // unprotected: its shadow page is gone
        Assert.True(shadow.Statistics.Unprotects >= 1);

        // The next walk through it shadows it again, and an edit is seen.
        Assert.Equal(0x50_0000ul, Translate(shadow, cpu, 0x0040_0000));
        Assert.True(_memory.IsPageTableFrame(ptFrame));
        tables.Write(pte, 0x60_0000 | P | RW);
        Assert.Equal(0x60_0000ul, Translate(shadow, cpu, 0x0040_0000));
    }

    [Fact]
    public void A_walk_through_the_written_table_between_writes_is_not_a_flood()
    {
        var (tables, shadow, cpu) = Build(PagingMode.FourLevel);
        ulong pte = tables.Map4K(0x0040_0000, 0x50_0000, P | RW);
        for (int i = 0; i < 10; i++)
        {
            tables.Write(pte, (0x50_0000 + (ulong)i * 0x1000) | P | RW); // edit the live PTE, then use it
            Assert.Equal(0x50_0000 + (ulong)i * 0x1000, Translate(shadow, cpu, 0x0040_0000));
        }
        Assert.Equal(0, shadow.Statistics.Floods);
        Assert.Equal(9, shadow.Statistics.Zaps);
    }

    [Fact]
    public void A_32_bit_guest_page_table_is_shadowed_by_two_quadrants_and_an_edit_zaps_only_its_half()
    {
        var (tables, shadow, cpu) = Build(PagingMode.ThirtyTwoBit);
        // One 4 MiB guest page table: linear 4 MiB + 0x1000 (PTE 1, quadrant 0) and + 0x20_1000 (PTE 513, quadrant 1).
        ulong low = tables.Map4K(0x0040_1000, 0x50_0000, P | RW);
        ulong high = tables.Map4K(0x0060_1000, 0x51_0000, P | RW);
        Assert.Equal(low & ~0xFFFul, high & ~0xFFFul); // the same guest table
        Translate(shadow, cpu, 0x0040_1000);
        Translate(shadow, cpu, 0x0060_1000);
        // The metaphysical root, the directory quadrant for linear[31:30] = 0, and both page-table quadrants.
        Assert.Equal(4, shadow.ShadowPagesInUse);

        tables.Write(high, 0x52_0000 | P | RW);
        Assert.Equal(1, shadow.Statistics.Zaps);
        Assert.Equal(0x50_0000ul, Translate(shadow, cpu, 0x0040_1000));
        Assert.Equal(0x52_0000ul, Translate(shadow, cpu, 0x0060_1000));
        Assert.Equal(1, shadow.Statistics.Hits); // the low half's entry survived the edit
    }

    [Fact]
    public void At_the_page_limit_the_least_recently_used_pages_are_reclaimed_and_translations_stay_right()
    {
        const int Limit = 64, Tables = 200;
        var (tables, shadow, cpu) = Build(PagingMode.FourLevel, Limit);
        for (ulong t = 0; t < Tables; t++) tables.Map4K(0x40_0000_0000 + (t << 21), 0x30_0000 + (t << 12), P | RW);
        for (int round = 0; round < 2; round++)
            for (ulong t = 0; t < Tables; t++)
                Assert.Equal(0x30_0000 + (t << 12), Translate(shadow, cpu, 0x40_0000_0000 + (t << 21)));
        Assert.True(shadow.Statistics.PagesRecycled > 0);
        Assert.True(shadow.ShadowPagesInUse <= Limit);
    }

    [Fact]
    public void Cpu_SetTranslationTag_selects_the_shadow_MMUs_tag()
    {
        var (_, shadow, cpu) = Build(PagingMode.FourLevel);
        cpu.SetTranslationTag(7);
        Assert.Equal(7u, shadow.CurrentTag);
        cpu.SetTranslationTag(0);
        Assert.Equal(0u, shadow.CurrentTag);
    }
}
