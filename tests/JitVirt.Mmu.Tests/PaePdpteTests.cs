using JitVirt.Cpu.Memory;
using JitVirt.Mmu.Tests.Reference;
using JitVirt.Mmu.Tests.Support;
using JitVirt.Mmu.Walker;
using Xunit;
using static JitVirt.Mmu.Tests.Support.Walks;

namespace JitVirt.Mmu.Tests;

/// <summary>PAE PDPTEs (SDM vol.3 §5.4.1, Table 5-8): reserved bits, no rights, no accessed flag, the PDPTE registers.</summary>
public sealed class PaePdpteTests
{
    const PageFaultErrorCode Rsvd = PageFaultErrorCode.Present | PageFaultErrorCode.ReservedBit;

    [Theory]
    [InlineData(1)] [InlineData(2)] [InlineData(5)] [InlineData(6)] [InlineData(7)] [InlineData(8)]
    [InlineData(36)] [InlineData(51)] [InlineData(52)] [InlineData(62)] [InlineData(63)]
    public void A_reserved_PDPTE_bit_read_at_walk_time_is_a_RSVD_page_fault(int bit)
    {
        using var w = new Walks(RefMode.Pae);
        w.Set(P | (1ul << bit));
        var r = w.Walk(AccessKind.Read);
        Assert.False(r.Succeeded);
        Assert.Equal(Rsvd, r.ErrorCode);
        Assert.Equal(1, r.Path.Count);
    }

    [Theory]
    [InlineData(3)] [InlineData(4)] [InlineData(9)] [InlineData(10)] [InlineData(11)]
    public void PWT_PCD_and_ignored_PDPTE_bits_are_not_reserved(int bit)
    {
        using var w = new Walks(RefMode.Pae);
        w.Set(P | (1ul << bit));
        Assert.True(w.Walk(AccessKind.Write, user: true).Succeeded);
    }

    [Fact]
    public void A_not_present_PDPTE_faults_with_P_clear()
    {
        using var w = new Walks(RefMode.Pae);
        w.Set(0);
        var r = w.Walk(AccessKind.Write, user: true);
        Assert.Equal(PageFaultErrorCode.Write | PageFaultErrorCode.User, r.ErrorCode);
    }

    [Fact]
    public void The_PDPTE_controls_no_rights_and_never_gets_an_accessed_flag()
    {
        using var w = new Walks(RefMode.Pae);
        ulong[] before = w.Set(P, P | RW | US, P | RW | US);
        var r = w.Walk(AccessKind.Write, user: true);
        Assert.True(r.Succeeded);
        Assert.Equal(before[0], w.Entry(0));
        Assert.Equal(PageRights.All, r.Rights);
    }

    [Fact]
    public void TryLoad_rejects_a_present_PDPTE_with_a_reserved_bit_and_ignores_not_present_ones()
    {
        using var w = new Walks(RefMode.Pae);
        ulong pdpt = w.Layout.Cr3 & ~0x1Ful;
        w.Memory.Write(pdpt + 0, 8, ~P);          // not present: any other bits allowed
        w.Memory.Write(pdpt + 8, 8, 0x5000 | P);
        w.Memory.Write(pdpt + 16, 8, 0);
        w.Memory.Write(pdpt + 24, 8, 0x2000 | P);
        Assert.True(PdpteRegisters.TryLoad(w.Memory, w.Layout.Cr3, 36, out var registers));
        Assert.Equal(~P, registers[0]);
        Assert.Equal(0x5000 | P, registers[1]);
        Assert.Equal(0x2000 | P, registers[3]);

        w.Memory.Write(pdpt + 16, 8, 0x3000 | P | (1ul << 36)); // 63:M reserved with MAXPHYADDR 36
        Assert.False(PdpteRegisters.TryLoad(w.Memory, w.Layout.Cr3, 36, out _));
        Assert.True(PdpteRegisters.TryLoad(w.Memory, w.Layout.Cr3, 40, out _));
    }

    [Fact]
    public void A_walk_with_PDPTE_registers_uses_them_instead_of_the_PDPT_in_memory()
    {
        using var w = new Walks(RefMode.Pae);
        w.Set(P, P | RW | US, P | RW | US);
        Assert.True(PdpteRegisters.TryLoad(w.Memory, w.Layout.Cr3, 36, out var loaded));
        var context = w.Layout.Context(w.Cpu).WithPdpteRegisters(loaded);

        // The guest clears the PDPTE in memory without reloading CR3: the registers still translate.
        w.Memory.Write(w.Layout.EntryAddresses[0], 8, 0);
        var r = GuestPageWalker.Walk(w.Memory, in context, w.Layout.Linear, AccessKind.Read, user: false);
        Assert.True(r.Succeeded);
        Assert.Equal(PagingLayout.Frame4K | (w.Layout.Linear & 0xFFF), r.PhysicalAddress);

        // Without them the walk reads the PDPT and sees the edit.
        Assert.Equal(PageFaultErrorCode.None, w.Walk(AccessKind.Read).ErrorCode);
        Assert.False(w.Walk(AccessKind.Read).Succeeded);

        // A not-present PDPTE register faults like a not-present entry.
        var empty = w.Layout.Context(w.Cpu).WithPdpteRegisters(default);
        r = GuestPageWalker.Walk(w.Memory, in empty, w.Layout.Linear, AccessKind.Write, user: true);
        Assert.Equal(PageFaultErrorCode.Write | PageFaultErrorCode.User, r.ErrorCode);
    }
}
