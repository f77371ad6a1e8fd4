using JitVirt.Cpu;
using JitVirt.Cpu.Memory;
using JitVirt.Mmu.Tests.Reference;
using JitVirt.Mmu.Tests.Support;
using JitVirt.Mmu.Walker;
using Xunit;
using static JitVirt.Mmu.Tests.Support.Walks;
using Processor = JitVirt.Cpu.Cpu;

namespace JitVirt.Mmu.Tests;

/// <summary>The walker as the CPU's <see cref="IAddressTranslator"/>: TLB misses walk, faults become #PF with CR2.</summary>
public sealed class CpuIntegrationTests
{
    static Processor PagedCpu(Walks w, GuestPageWalker walker)
    {
        var cpu = new Processor(w.Memory, walker);
        var context = w.Layout.Context(w.Cpu);
        cpu.Cr0 = context.Cr0;
        cpu.Cr3 = context.Cr3;
        cpu.Cr4 = context.Cr4;
        cpu.Efer = context.Efer;
        cpu.FlushTlb();
        return cpu;
    }

    [Fact]
    public void A_denied_access_raises_page_fault_with_the_error_code_and_CR2()
    {
        using var w = new Walks(RefMode.FourLevel);
        w.Set(P | RW | US, P | RW | US, P | RW | US, P | US); // read-only user page
        var walker = new GuestPageWalker();
        var cpu = PagedCpu(w, walker);

        Assert.False(cpu.TranslateLinear(w.Layout.Linear, AccessKind.Write, user: true, out _));
        Assert.Equal(w.Layout.Linear, cpu.Cr2);
        Assert.True(cpu.Faulted);
        Assert.Equal(ExceptionVector.PageFault, cpu.PendingException.Vector);
        Assert.True(cpu.PendingException.HasErrorCode);
        Assert.Equal((uint)(PageFaultErrorCode.Present | PageFaultErrorCode.Write | PageFaultErrorCode.User), cpu.PendingException.ErrorCode);
    }

    [Fact]
    public void A_translation_walks_once_and_is_then_served_by_the_TLB()
    {
        using var w = new Walks(RefMode.Pae);
        w.Set(P);
        var walker = new GuestPageWalker();
        var cpu = PagedCpu(w, walker);
        long walks = walker.Walks, invalidations = walker.Invalidations;

        Assert.True(cpu.TranslateLinear(w.Layout.Linear, AccessKind.Read, user: false, out ulong physical));
        Assert.Equal(PagingLayout.Frame4K | (w.Layout.Linear & 0xFFF), physical);
        Assert.True(cpu.TranslateLinear(w.Layout.Linear + 8, AccessKind.Read, user: false, out _));
        Assert.Equal(walks + 1, walker.Walks);

        cpu.FlushTlb();
        Assert.Equal(invalidations + 1, walker.Invalidations);
        Assert.True(cpu.TranslateLinear(w.Layout.Linear, AccessKind.Read, user: false, out _));
        Assert.Equal(walks + 2, walker.Walks);
    }

    [Fact]
    public void Data_written_through_paging_lands_at_the_translated_address()
    {
        using var w = new Walks(RefMode.ThirtyTwoBit, new RefCpu(true, false, Pse: true));
        w.Set(P | RW | US | PS); // 4 MiB page at 4 MiB
        var cpu = PagedCpu(w, new GuestPageWalker());
        cpu.WriteLinear<uint>(w.Layout.Linear, 0xDEADBEEF, user: true);
        Assert.False(cpu.Faulted);
        Assert.Equal(0xDEADBEEFul, w.Memory.Read(PagingLayout.Table32Bit | (w.Layout.Linear & 0x3F_FFFF), 4));
        Assert.Equal(A | D, w.Entry(0) & (A | D));
    }
}
