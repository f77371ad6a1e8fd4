using JitVirt.Cpu.Memory;
using JitVirt.Mmu.Walker;
using JitVirt.ShadowMmu.Tests.Support;
using Xunit;
using static JitVirt.ShadowMmu.Tests.Support.GuestTables;
using Processor = JitVirt.Cpu.Cpu;
using Shadow = JitVirt.Mmu.Shadow.ShadowMmu;

namespace JitVirt.ShadowMmu.Tests;

/// <summary>The hit path (a translation the shadow root already holds) allocates nothing.</summary>
public sealed class AllocationTests
{
    [Fact]
    public void Shadow_hits_allocate_nothing()
    {
        using var memory = new PhysicalMemory(16 << 20);
        var tables = new GuestTables(memory, PagingMode.FourLevel);
        for (ulong i = 0; i < 16; i++) tables.Map4K(0x1000_0000 + (i << 12), 0x50_0000 + (i << 12), P | RW | US | A | D);
        var shadow = new Shadow(memory);
        var cpu = new Processor(memory, shadow);
        tables.Apply(cpu);
        cpu.FlushTlb();
        for (ulong i = 0; i < 16; i++) shadow.Translate(cpu, 0x1000_0000 + (i << 12), AccessKind.Write, true, out _, out _);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int n = 0; n < 10_000; n++)
            shadow.Translate(cpu, 0x1000_0000 + ((ulong)(n & 15) << 12), (AccessKind)(n % 3), (n & 1) != 0, out _, out _);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(10_000, shadow.Statistics.Hits);
    }
}
