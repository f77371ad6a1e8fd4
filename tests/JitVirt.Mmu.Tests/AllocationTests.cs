using JitVirt.Cpu.Memory;
using JitVirt.Mmu.Tests.Reference;
using JitVirt.Mmu.Tests.Support;
using JitVirt.Mmu.Walker;
using Xunit;
using static JitVirt.Mmu.Tests.Support.Walks;

namespace JitVirt.Mmu.Tests;

/// <summary>A walk runs on every TLB miss: it must not allocate.</summary>
public sealed class AllocationTests
{
    [Theory]
    [InlineData(RefMode.ThirtyTwoBit)]
    [InlineData(RefMode.Pae)]
    [InlineData(RefMode.FourLevel)]
    public void Walks_allocate_nothing(RefMode mode)
    {
        using var w = new Walks(mode);
        w.Set(mode == RefMode.Pae ? [P] : []);
        var context = w.Layout.Context(w.Cpu);
        for (int i = 0; i < 100; i++) Step();

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++) Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        void Step()
        {
            GuestPageWalker.Walk(w.Memory, in context, w.Layout.Linear, AccessKind.Write, user: true);
            GuestPageWalker.Walk(w.Memory, in context, w.Layout.Linear + 0x1000, AccessKind.Execute, user: false); // a fault
        }
    }
}
