using JitVirt.Cpu.Memory;
using JitVirt.Mmu.Tests.Reference;
using JitVirt.Mmu.Tests.Support;
using JitVirt.Mmu.Walker;
using Xunit;
using static JitVirt.Mmu.Tests.Support.Walks;

namespace JitVirt.Mmu.Tests;

/// <summary>4-MByte pages of 32-bit paging (SDM vol.3 §5.3, Table 5-4) and 2-MByte pages (Tables 5-9, 5-18).</summary>
public sealed class LargePageTests
{
    [Fact]
    public void Pse_4M_page_takes_bits_31_22_from_the_PDE_and_21_0_from_the_linear_address()
    {
        using var w = new Walks(RefMode.ThirtyTwoBit, new RefCpu(true, false, Pse: true));
        w.Set(P | RW | US | PS);
        var r = w.Walk(AccessKind.Read);
        Assert.True(r.Succeeded);
        Assert.Equal(PagingLayout.Table32Bit | (w.Layout.Linear & 0x3F_FFFF), r.PhysicalAddress);
        Assert.Equal(4ul << 20, r.PageSize);
        Assert.Equal(1, r.Path.Count);
    }

    [Fact]
    public void Without_CR4_PSE_the_PS_flag_is_ignored_and_the_PDE_references_a_page_table()
    {
        using var w = new Walks(RefMode.ThirtyTwoBit, new RefCpu(true, false, Pse: false));
        w.Set(P | RW | US | PS, P | RW | US);
        var r = w.Walk(AccessKind.Read);
        Assert.True(r.Succeeded);
        Assert.Equal(PagingLayout.Frame32Bit | (w.Layout.Linear & 0xFFF), r.PhysicalAddress);
        Assert.Equal(4096ul, r.PageSize);
    }

    [Fact]
    public void Pse_4M_page_with_PAT_bit_12_is_not_reserved()
    {
        using var w = new Walks(RefMode.ThirtyTwoBit, new RefCpu(true, false, Pse: true));
        w.Set(P | RW | US | PS | (1ul << 12));
        var r = w.Walk(AccessKind.Read);
        Assert.True(r.Succeeded);
        Assert.Equal(PagingLayout.Table32Bit | (w.Layout.Linear & 0x3F_FFFF), r.PhysicalAddress);
    }

    [Theory]
    [InlineData(RefMode.Pae)]
    [InlineData(RefMode.FourLevel)]
    public void A_2M_page_maps_above_4G_and_ignores_CR4_PSE(RefMode mode)
    {
        foreach (bool pse in new[] { false, true })
        {
            using var w = new Walks(mode, new RefCpu(true, true, pse));
            ulong[] flags = mode == RefMode.Pae ? [P, P | RW | US | PS] : [P | RW | US, P | RW | US, P | RW | US | PS];
            w.Set(flags);
            var r = w.Walk(AccessKind.Write);
            Assert.True(r.Succeeded);
            Assert.Equal(PagingLayout.Frame2M | (w.Layout.Linear & 0x1F_FFFF), r.PhysicalAddress);
            Assert.Equal(2ul << 20, r.PageSize);
            Assert.Equal(flags.Length, r.Path.Count);
            Assert.Equal(A | D, w.Entry(flags.Length - 1) & (A | D)); // the 2-MByte PDE maps the page: it gets D
        }
    }

    [Theory]
    [InlineData(RefMode.Pae)]
    [InlineData(RefMode.FourLevel)]
    public void A_4K_page_takes_address_bits_35_12_from_the_PTE(RefMode mode)
    {
        using var w = new Walks(mode);
        w.Set(mode == RefMode.Pae ? [P] : [P | RW | US]);
        var r = w.Walk(AccessKind.Read);
        Assert.True(r.Succeeded);
        Assert.Equal(PagingLayout.Frame4K | (w.Layout.Linear & 0xFFF), r.PhysicalAddress);
        Assert.Equal(4096ul, r.PageSize);
    }

    [Fact]
    public void Four_level_PDPTE_with_PS_is_a_reserved_bit_fault_without_1G_pages()
    {
        using var w = new Walks(RefMode.FourLevel);
        w.Set(P | RW | US, P | RW | US | PS);
        var r = w.Walk(AccessKind.Read);
        Assert.False(r.Succeeded);
        Assert.Equal(PageFaultErrorCode.Present | PageFaultErrorCode.ReservedBit, r.ErrorCode);
        Assert.Equal(2, r.Path.Count);
    }
}
