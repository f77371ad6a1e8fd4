using JitVirt.Cpu.Memory;
using JitVirt.Mmu.Walker;
using JitVirt.ShadowMmu.Tests.Support;
using Xunit;
using static JitVirt.ShadowMmu.Tests.Support.GuestTables;
using Processor = JitVirt.Cpu.Cpu;
using Shadow = JitVirt.Mmu.Shadow.ShadowMmu;

namespace JitVirt.ShadowMmu.Tests;

/// <summary>Roots per (tag, CR3): address spaces stay apart, and a recent CR3 is switched back to cheaply.</summary>
public sealed class AddressSpaceTagTests : IDisposable
{
    const ulong Linear = 0x7000_0000, FrameA = 0x0050_0000, FrameB = 0x0060_0000;

    readonly PhysicalMemory _memory = new(16 << 20);
    readonly ulong _cr3A, _cr3B;
    readonly Shadow _shadow;
    readonly Processor _cpu;

    public AddressSpaceTagTests()
    {
        // Two guest address spaces in one RAM: the second table set is allocated after the first.
        var a = new GuestTables(_memory, PagingMode.FourLevel);
        a.Map4K(Linear, FrameA, P | RW | US);
        var b = new GuestTables(_memory, PagingMode.FourLevel, GuestTables.TableBase + 0x10_0000);
        b.Map4K(Linear, FrameB, P | RW | US);
        _cr3A = a.Root;
        _cr3B = b.Root;
        _shadow = new Shadow(_memory);
        _cpu = new Processor(_memory, _shadow);
        a.Apply(_cpu);
        _cpu.FlushTlb();
    }

    public void Dispose() => _memory.Dispose();

    ulong Translate()
    {
        Assert.True(_shadow.Translate(_cpu, Linear, AccessKind.Read, false, out ulong physical, out _));
        return physical;
    }

    void LoadCr3(ulong cr3)
    {
        _cpu.Cr3 = cr3;
        _cpu.FlushTlb(); // MOV CR3 flushes and tells the translator
    }

    [Fact]
    public void Two_tags_with_different_CR3s_do_not_see_each_others_entries()
    {
        _shadow.CurrentTag = 1;
        LoadCr3(_cr3A);
        Assert.Equal(FrameA, Translate());
        _shadow.CurrentTag = 2;
        LoadCr3(_cr3B);
        Assert.Equal(FrameB, Translate());
        for (int i = 0; i < 3; i++)
        {
            _shadow.CurrentTag = 1; _cpu.Cr3 = _cr3A; _cpu.Tlb.FlushAll();
            Assert.Equal(FrameA, Translate());
            _shadow.CurrentTag = 2; _cpu.Cr3 = _cr3B; _cpu.Tlb.FlushAll();
            Assert.Equal(FrameB, Translate());
        }
        Assert.Equal(2, _shadow.Statistics.ShadowFaults); // every later translation hit its own tag's root

        _shadow.FlushTag(2);
        Assert.Equal(2, _shadow.CachedRoots); // tag 0 (set up) and tag 1 keep theirs; the shadow pages stay for reuse
        _shadow.CurrentTag = 1; _cpu.Cr3 = _cr3A;
        Assert.Equal(FrameA, Translate());
        Assert.Equal(2, _shadow.Statistics.ShadowFaults);
    }

    [Fact]
    public void Switching_back_to_a_recent_CR3_reuses_its_root()
    {
        Assert.Equal(FrameA, Translate());
        LoadCr3(_cr3B);
        Assert.Equal(FrameB, Translate());
        long reuses = _shadow.Statistics.RootReuses;
        LoadCr3(_cr3A);
        Assert.Equal(reuses + 1, _shadow.Statistics.RootReuses);
        Assert.Equal(FrameA, Translate());
        Assert.Equal(2, _shadow.Statistics.ShadowFaults); // served by the reused root
        Assert.Equal(2, _shadow.CachedRoots);
    }

    [Fact]
    public void A_reused_root_is_still_coherent_with_edits_made_while_it_was_not_current()
    {
        Assert.Equal(FrameA, Translate());
        LoadCr3(_cr3B);
        // Edit address space A's PTE while B is current (another process's tables): write-protected.
        var pteA = FindPte(_cr3A, Linear);
        _memory.Write(pteA, 8, FrameB + 0x1000 | P | RW | US);
        LoadCr3(_cr3A);
        Assert.Equal(FrameB + 0x1000, Translate());
    }

    [Fact]
    public void At_most_MaxRootsPerTag_roots_are_cached_per_tag()
    {
        for (int i = 0; i < Shadow.MaxRootsPerTag + 3; i++)
        {
            LoadCr3(i % 2 == 0 ? _cr3A : _cr3B | ((ulong)i << 3)); // PWT/PCD-style low bits make distinct CR3 values
            Translate();
        }
        Assert.Equal(Shadow.MaxRootsPerTag, _shadow.CachedRoots);
    }

    ulong FindPte(ulong cr3, ulong linear)
    {
        ulong table = cr3;
        for (int level = 4; level > 1; level--)
            table = _memory.Read(table + (((linear >> (12 + 9 * (level - 1))) & 0x1FF) << 3), 8) & 0x000F_FFFF_FFFF_F000;
        return table + (((linear >> 12) & 0x1FF) << 3);
    }
}
