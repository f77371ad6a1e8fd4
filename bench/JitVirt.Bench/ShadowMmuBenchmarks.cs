using BenchmarkDotNet.Attributes;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Memory;
using JitVirt.Mmu.Shadow;
using JitVirt.Mmu.Walker;
using JitVirt.ShadowMmu.Tests.Support;
using static JitVirt.ShadowMmu.Tests.Support.GuestTables;

namespace JitVirt.Bench;

/// <summary>
/// Issue 4 benchmark 1 and the translation costs around it, on a 64-bit guest with 4-level
/// tables: a guest load and store that hit the software TLB; a software-TLB miss served by a
/// shadow hit compared with a direct walk; and the software TLB's whole flush (a generation bump).
/// Each operation touches one of 16 pages mapped by 4 KiB PTEs.
/// </summary>
[MemoryDiagnoser]
public class ShadowMmuTranslationBenchmarks
{
    const int Operations = 1024;
    const ulong Linear = 0x4000_0000;

    PagedGuest _shadowGuest = null!, _directGuest = null!;

    [GlobalSetup]
    public void Setup()
    {
        _shadowGuest = Build(Translation.Shadow);
        _directGuest = Build(Translation.Direct);
        for (int i = 0; i < Operations; i++) Address(i); // no allocation in the loops below
    }

    static PagedGuest Build(Translation translation)
    {
        var g = new PagedGuest(translation);
        for (ulong p = 0; p < 16; p++) g.Tables.Map4K(Linear + (p << 12), 0x30_0000 + (p << 12), P | RW | A | D);
        g.Enter(0x8000);
        // Warm: fill the software TLB (read and write) and the shadow tables.
        for (int i = 0; i < Operations; i++) g.Cpu.WriteLinear(Address(i), g.Cpu.ReadLinear<ulong>(Address(i), false), false);
        return g;
    }

    static ulong Address(int i) => Linear + ((ulong)(i & 15) << 12) + ((ulong)(i >> 4) << 3);

    [Benchmark(OperationsPerInvoke = Operations)]
    public ulong LoadOnTlbHit()
    {
        var cpu = _shadowGuest.Cpu;
        ulong sum = 0;
        for (int i = 0; i < Operations; i++) sum += cpu.ReadLinear<ulong>(Address(i), false);
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Operations)]
    public void StoreOnTlbHit()
    {
        var cpu = _shadowGuest.Cpu;
        for (int i = 0; i < Operations; i++) cpu.WriteLinear(Address(i), (ulong)i, false);
    }

    /// <summary>A software-TLB miss the shadow tables answer (what a refill after a flush costs).</summary>
    [Benchmark(OperationsPerInvoke = Operations)]
    public ulong ShadowHit() => TranslateAll(_shadowGuest);

    /// <summary>The same misses answered by walking the guest's four levels.</summary>
    [Benchmark(OperationsPerInvoke = Operations)]
    public ulong DirectWalk() => TranslateAll(_directGuest);

    static ulong TranslateAll(PagedGuest g)
    {
        ulong sum = 0;
        for (int i = 0; i < Operations; i++)
        {
            g.Translator.Translate(g.Cpu, Address(i), AccessKind.Read, false, out ulong physical, out _);
            sum += physical;
        }
        return sum;
    }

    /// <summary>SoftwareTlb.FlushAll: what VMX without VPID pays on every entry and exit.</summary>
    [Benchmark(OperationsPerInvoke = Operations)]
    public void SoftwareTlbFlushAll()
    {
        var tlb = _shadowGuest.Cpu.Tlb;
        for (int i = 0; i < Operations; i++) tlb.FlushAll();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _shadowGuest.Dispose();
        _directGuest.Dispose();
    }
}

/// <summary>
/// Issue 4 benchmarks 2 and 3: the page-table-churn guest (<see cref="ChurnGuest"/>) run whole
/// on the shadow MMU and on the direct walker (interpreter), for shadow faults per second; and
/// the managed memory one shadow page costs, measured with GC.GetAllocatedBytesForCurrentThread
/// around faults that each need a new level-1 shadow table. The figures the setup measures are
/// written to the log.
/// </summary>
[MemoryDiagnoser]
public class ShadowMmuChurnBenchmarks
{
    [Params(Translation.Shadow, Translation.Direct)]
    public Translation Translator { get; set; }

    PagedGuest? _guest;
    Interpreter? _interpreter;

    [GlobalSetup]
    public void Setup()
    {
        IterationSetup();
        ChurnGuestRun();
        if (_guest!.Shadow is { } shadow)
            Console.WriteLine($"// churn guest: {shadow.Statistics.ShadowFaults} shadow faults, {shadow.Statistics.GuestPageFaults} guest faults, " +
                $"{shadow.Statistics.WriteProtectHits} write-protect hits, {_guest.Cpu.InstructionsRetired} instructions per run");
        IterationCleanup();
        Console.WriteLine($"// bytes per shadow page: {BytesPerShadowPage():F0}");
    }

    /// <summary>A fresh machine per run (RAM, tables, seeded data), outside the measured time.</summary>
    [IterationSetup]
    public void IterationSetup()
    {
        _guest = new PagedGuest(Translator);
        ChurnGuest.Seed(_guest);
        _guest.Load(ChurnGuest.Code, ChurnGuest.Emit);
        _guest.Enter(ChurnGuest.Code);
        _interpreter = new Interpreter(_guest.Cpu);
    }

    /// <summary>The whole churn guest: 300 rebuilt address spaces, ~10.7 k shadow faults on the shadow MMU.</summary>
    [Benchmark]
    public StopReason ChurnGuestRun()
    {
        var stop = _interpreter!.Run(20_000_000);
        if (stop != StopReason.Halted) throw new InvalidOperationException("the churn guest did not finish");
        return stop;
    }

    [IterationCleanup]
    public void IterationCleanup() => _guest?.Dispose();

    /// <summary>Managed bytes allocated per shadow page created: 256 faults at 2 MiB strides each need a new level-1 table.</summary>
    static double BytesPerShadowPage()
    {
        using var g = new PagedGuest(Translation.Shadow);
        const int Tables = 256;
        for (ulong t = 0; t < Tables; t++) g.Tables.Map4K(0x40_0000_0000 + (t << 21), 0x30_0000, P | RW | A | D);
        g.Enter(0x8000);
        var shadow = g.Shadow!;
        shadow.Translate(g.Cpu, 0x40_0000_0000, AccessKind.Read, false, out _, out _); // root, upper levels, first table
        long pagesBefore = shadow.Statistics.PagesCreated;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (ulong t = 1; t < Tables; t++) shadow.Translate(g.Cpu, 0x40_0000_0000 + (t << 21), AccessKind.Read, false, out _, out _);
        long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
        return (double)bytes / (shadow.Statistics.PagesCreated - pagesBefore);
    }
}
