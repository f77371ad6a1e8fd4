using JitVirt.Cpu.Memory;
using JitVirt.Mmu.Shadow;
using JitVirt.Mmu.Walker;
using JitVirt.ShadowMmu.Tests.Support;
using Xunit;
using Xunit.Abstractions;
using static JitVirt.ShadowMmu.Tests.Support.GuestTables;
using Cr0Bits = JitVirt.Cpu.State.Cr0;
using Processor = JitVirt.Cpu.Cpu;
using Shadow = JitVirt.Mmu.Shadow.ShadowMmu;

namespace JitVirt.ShadowMmu.Tests;

/// <summary>
/// The shadow MMU against the direct walker on random guest tables: two identical guest memories,
/// the shadow MMU on one and <see cref="GuestPageWalker.Walk"/> on the other, the same random
/// accesses, guest-table edits (through PhysicalMemory, so write-protected), INVLPGs and CR0.WP
/// toggles on both. Every result, physical address and #PF error code must match, and at the end
/// the tables (accessed/dirty flags) must be byte-identical.
/// </summary>
public sealed class EquivalenceTests(ITestOutputHelper output)
{
    const ulong Ram = 16 << 20;

    [Theory]
    [InlineData(PagingMode.ThirtyTwoBit)]
    [InlineData(PagingMode.Pae)]
    [InlineData(PagingMode.FourLevel)]
    public void Shadow_translations_match_the_walker(PagingMode mode)
    {
        long total = 0, mismatches = 0, faults = 0;
        for (int seed = 1; seed <= 20; seed++)
        {
            var (t, m) = RunSeed(mode, seed);
            total += t; mismatches += m.Mismatches; faults += m.Faults;
        }
        output.WriteLine($"{mode}: {total} accesses, {faults} guest #PF, {mismatches} mismatches");
        Assert.Equal(0, mismatches);
        Assert.True(faults > 0 && faults < total, "the random tables should give both translations and faults");
    }

    (long Total, (long Mismatches, long Faults)) RunSeed(PagingMode mode, int seed)
    {
        var rng = new Random(seed);
        using var shadowMemory = new PhysicalMemory(Ram);
        using var walkerMemory = new PhysicalMemory(Ram);
        var shadowTables = new GuestTables(shadowMemory, mode);
        var walkerTables = new GuestTables(walkerMemory, mode);
        var targets = new List<ulong>();
        BuildRandom(rng, mode, shadowTables, walkerTables, targets);

        var shadow = new Shadow(shadowMemory);
        var cpu = new Processor(shadowMemory, shadow);
        bool nxe = rng.Next(4) != 0, pse = rng.Next(4) != 0;
        shadowTables.Apply(cpu, writeProtect: rng.Next(2) == 0, nxe: nxe, pse: pse);
        cpu.FlushTlb();

        long mismatches = 0, faults = 0;
        const int Accesses = 3000;
        for (int i = 0; i < Accesses; i++)
        {
            int op = rng.Next(100);
            if (op < 2)
            {
                // Edit a random entry of a random table on both sides (a write-protect hit for the shadow).
                ulong frame = shadowTables.TableFrames[rng.Next(shadowTables.TableFrames.Count)];
                ulong at = frame + (ulong)(rng.Next(4096 / shadowTables.EntrySize) * shadowTables.EntrySize);
                if (rng.Next(5) != 0 && targets.Count != 0) at = EntryOnPath(shadowTables, targets[rng.Next(targets.Count)], rng);
                ulong old = shadowTables.Read(at);
                int how = rng.Next(10);
                ulong value = how switch
                {
                    // Mostly flag flips (rights, accessed/dirty, present, XD) so that the trees stay usable.
                    < 7 => old ^ FlagBits(mode)[rng.Next(FlagBits(mode).Length)],
                    // Remapping to another data frame, keeping the flags.
                    < 9 => (old & 0xFFF) | DataFrame(rng) | (old & XD),
                    _ => RandomEntry(rng, mode, rng.Next(3) == 0 ? TablePool(rng) : DataFrame(rng), leafish: rng.Next(2) == 0),
                };
                shadowTables.Write(at, value);
                walkerTables.Write(at, value);
                continue;
            }
            if (op < 4 && targets.Count != 0)
            {
                shadow.Invalidate(cpu, targets[rng.Next(targets.Count)] & ~0xFFFul);
                continue;
            }
            if (op == 4 && rng.Next(4) == 0)
            {
                cpu.Cr0 ^= Cr0Bits.WP;
                cpu.FlushTlb();
                continue;
            }
            ulong linear = rng.Next(8) == 0 ? RandomLinear(rng, mode) : targets[rng.Next(targets.Count)] + (ulong)rng.Next(4096);
            var kind = (AccessKind)rng.Next(3);
            bool user = rng.Next(2) == 0;
            bool ok = shadow.Translate(cpu, linear, kind, user, out ulong physical, out uint error);
            var context = new PagingContext(cpu.Cr0, cpu.Cr3, cpu.Cr4, cpu.Efer);
            var expected = GuestPageWalker.Walk(walkerMemory, in context, linear, kind, user);
            if (!ok) faults++;
            if (ok != expected.Succeeded || (ok ? physical != expected.PhysicalAddress : error != (uint)expected.ErrorCode))
            {
                if (mismatches < 5)
                    output.WriteLine($"seed {seed} #{i}: {kind} user={user} {linear:X}: shadow {ok} {physical:X} {error:X}, walker {expected.Succeeded} {expected.PhysicalAddress:X} {(uint)expected.ErrorCode:X}");
                mismatches++;
            }
        }
        foreach (ulong frame in shadowTables.TableFrames)
            if (!shadowMemory.RamSpan(frame, 4096).SequenceEqual(walkerMemory.RamSpan(frame, 4096)))
            {
                output.WriteLine($"seed {seed}: table {frame:X} differs (accessed/dirty flags)");
                mismatches++;
            }
        if (seed <= 3) output.WriteLine($"{mode} seed {seed}: fills {shadow.Statistics.ShadowFaults}, hits {shadow.Statistics.Hits}, write-protect hits {shadow.Statistics.WriteProtectHits}, zaps {shadow.Statistics.Zaps}, entries {shadow.ShadowEntriesInUse}, rmap {shadow.ReverseMapEntries}");
        return (Accesses, (mismatches, faults));
    }

    static ulong[] FlagBits(PagingMode mode) => mode == PagingMode.ThirtyTwoBit ? [P, RW, US, A, D] : [P, RW, US, A, D, XD];

    static ulong EntryOnPath(GuestTables tables, ulong linear, Random rng)
    {
        ulong table = tables.Root;
        int stop = rng.Next(1, tables.Levels + 1);
        for (int level = tables.Levels; ; level--)
        {
            ulong at = tables.EntryAddress(table, linear, level);
            ulong e = tables.Read(at);
            ulong next = e & 0x000F_FFFF_FFFF_F000;
            if (level == 1 || level == stop || (e & P) == 0 || (e & PS) != 0 || !tables.TableFrames.Contains(next)) return at;
            table = next;
        }
    }

    static void BuildRandom(Random rng, PagingMode mode, GuestTables a, GuestTables b, List<ulong> targets)
    {
        // A few clusters of pages so that tables are shared between translations.
        for (int cluster = 0; cluster < 6; cluster++)
        {
            ulong baseLinear = RandomLinear(rng, mode) & ~0x3F_FFFFul;
            for (int i = 0; i < 24; i++)
            {
                ulong linear = baseLinear + ((ulong)rng.Next(1024) << 12);
                if (mode == PagingMode.FourLevel) linear = Canonical(linear); else linear &= 0xFFFF_FFFF;
                targets.Add(linear);
                ulong table = a.Root;
                for (int level = a.Levels; level >= 1; level--)
                {
                    ulong at = a.EntryAddress(table, linear, level);
                    ulong e = a.Read(at);
                    if ((e & P) != 0 && (e & PS) == 0 && level > 1 && a.TableFrames.Contains(e & 0x000F_FFFF_FFFF_F000))
                    {
                        table = e & 0x000F_FFFF_FFFF_F000;
                        continue;
                    }
                    if ((e & P) != 0) break; // a leaf (or a large page) is already there
                    bool pdpte = mode == PagingMode.Pae && level == 3;
                    bool large = level == 2 && rng.Next(6) == 0;
                    if (level == 1 || large || rng.Next(25) == 0)
                    {
                        ulong frame = large ? DataFrame(rng) & ~(mode == PagingMode.ThirtyTwoBit ? 0x3F_FFFFul : 0x1F_FFFFul) : DataFrame(rng);
                        ulong leaf = RandomEntry(rng, mode, frame, leafish: true) | (large ? PS : 0);
                        if (level > 1 && !large) leaf &= ~P; // a non-present intermediate entry
                        a.Write(at, leaf); b.Write(at, leaf);
                        break;
                    }
                    ulong t = a.NewTable();
                    ulong t2 = b.NewTable();
                    if (t != t2) throw new InvalidOperationException("both sides allocate alike");
                    ulong entry = pdpte ? t | P : (RandomEntry(rng, mode, t, leafish: false) | P) & ~PS;
                    if (rng.Next(40) == 0) entry |= ReservedBit(mode, rng);
                    a.Write(at, entry); b.Write(at, entry);
                    table = t;
                }
            }
        }
    }

    static ulong RandomEntry(Random rng, PagingMode mode, ulong frame, bool leafish)
    {
        ulong e = frame;
        if (rng.Next(30) != 0) e |= P;
        if (rng.Next(8) != 0) e |= RW;
        if (rng.Next(8) != 0) e |= US;
        if (rng.Next(3) == 0) e |= A;
        if (leafish && rng.Next(3) == 0) e |= D;
        if (mode != PagingMode.ThirtyTwoBit && rng.Next(10) == 0) e |= XD;
        if (rng.Next(100) == 0) e |= ReservedBit(mode, rng);
        return e;
    }

    /// <summary>A bit reserved in most entries: above MAXPHYADDR (36) for 64-bit entries; bit 21 of a 4-MByte PDE for 32-bit paging (Table 5-4).</summary>
    static ulong ReservedBit(PagingMode mode, Random rng) => mode == PagingMode.ThirtyTwoBit ? 1ul << 21 : 1ul << (36 + rng.Next(10));

    static ulong DataFrame(Random rng) => (ulong)rng.Next(0x400, 0x1400) << 12; // some beyond the 16 MiB of RAM
    static ulong TablePool(Random rng) => TableBase + ((ulong)rng.Next(64) << 12);

    static ulong RandomLinear(Random rng, PagingMode mode)
    {
        ulong l = (ulong)rng.NextInt64() & ~0xFFFul;
        return mode == PagingMode.FourLevel ? Canonical(l) : l & 0xFFFF_F000;
    }

    static ulong Canonical(ulong linear) => (ulong)((long)(linear << 16) >> 16);
}
