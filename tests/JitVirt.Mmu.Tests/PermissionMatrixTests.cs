using System.Diagnostics;
using JitVirt.Cpu.Memory;
using JitVirt.Mmu.Tests.Reference;
using JitVirt.Mmu.Tests.Support;
using JitVirt.Mmu.Shadow;
using JitVirt.Mmu.Walker;
using Xunit;
using Xunit.Abstractions;

namespace JitVirt.Mmu.Tests;

/// <summary>
/// The permission matrix, in the spirit of kvm-unit-tests' x86 access test: every combination of
/// P, R/W, U/S, XD, PS, A and D over the levels of one translation, times CR0.WP, IA32_EFER.NXE,
/// CR4.PSE, user/supervisor and read/write/fetch, checked against <see cref="SdmPagingModel"/>:
/// outcome, #PF error code, physical address and the entries' A/D flags afterwards.
/// Below an entry that ends every walk (P = 0; PS = 1 where it maps a page or is reserved in every
/// configuration; a PAE PDPTE with a reserved bit) the lower levels are not enumerated but held
/// at a permissive present pattern, so a walker that read on would be caught.
/// To keep the default run to a few seconds on a shared machine, the A flag of the 4-level PML4E
/// and PDPTE is not an independent dimension there: it is set when an odd number of that entry's
/// other enumerated flags are, so both values occur under every setting. With the environment
/// variable JITVIRT_FULL_PAGING_MATRIX=1 it is enumerated like the rest (13.2 million combinations).
/// </summary>
public sealed class PermissionMatrixTests(ITestOutputHelper output)
{
    const ulong P = 1ul << 0, RW = 1ul << 1, US = 1ul << 2, A = 1ul << 5, D = 1ul << 6, PS = 1ul << 7, XD = 1ul << 63;

    /// <summary>An entry that lets the walk go on and grants everything, for levels the walk cannot reach.</summary>
    const ulong Permissive = P | RW | US;

    /// <param name="AccessedFollowsParity">A is not enumerated but set when an odd number of the other flags are.</param>
    sealed record LevelSpec(string Name, ulong[] Flags, Func<ulong, bool> EndsEveryWalk, bool AccessedFollowsParity = false);

    static bool FullMatrix => Environment.GetEnvironmentVariable("JITVIRT_FULL_PAGING_MATRIX") == "1";

    static bool NotPresent(ulong f) => (f & P) == 0;

    static LevelSpec[] LevelsOf(RefMode mode) => mode switch
    {
        RefMode.ThirtyTwoBit =>
        [
            new("PDE", [P, RW, US, A, D, PS], NotPresent),  // PS counts only with CR4.PSE = 1
            new("PTE", [P, RW, US, A, D], NotPresent),
        ],
        RefMode.Pae =>
        [
            new("PDPTE", [P, RW, US, A, XD], f => NotPresent(f) || (f & (RW | US | A | XD)) != 0), // all reserved there
            new("PDE", [P, RW, US, A, D, PS, XD], f => NotPresent(f) || (f & PS) != 0),
            new("PTE", [P, RW, US, A, D, XD], NotPresent),
        ],
        _ => FullMatrix
        ?
        [
            new("PML4E", [P, RW, US, A, PS, XD], f => NotPresent(f) || (f & PS) != 0),  // PS reserved
            new("PDPTE", [P, RW, US, A, PS, XD], f => NotPresent(f) || (f & PS) != 0),  // no 1-GByte pages
            new("PDE", [P, RW, US, A, D, PS, XD], f => NotPresent(f) || (f & PS) != 0),
            new("PTE", [P, RW, US, A, D, XD], NotPresent),
        ]
        :
        [
            new("PML4E", [P, RW, US, PS, XD], f => NotPresent(f) || (f & PS) != 0, AccessedFollowsParity: true),
            new("PDPTE", [P, RW, US, PS, XD], f => NotPresent(f) || (f & PS) != 0, AccessedFollowsParity: true),
            new("PDE", [P, RW, US, A, D, PS, XD], f => NotPresent(f) || (f & PS) != 0),
            new("PTE", [P, RW, US, A, D, XD], NotPresent),
        ],
    };

    static RefCpu[] CpuSettings(RefMode mode)
    {
        var list = new List<RefCpu>();
        foreach (bool wp in new[] { false, true })
        foreach (bool nxe in new[] { false, true })
        foreach (bool pse in mode == RefMode.FourLevel ? new[] { true } : new[] { false, true })
            list.Add(new RefCpu(wp, nxe, pse));
        return [.. list];
    }

    static readonly bool[] Privileges = [false, true];
    static readonly RefAccessKind[] Kinds = [RefAccessKind.Read, RefAccessKind.Write, RefAccessKind.Fetch];

    [Theory]
    [InlineData(RefMode.ThirtyTwoBit)]
    [InlineData(RefMode.Pae)]
    [InlineData(RefMode.FourLevel)]
    public void Walker_matches_the_SDM_model_for_every_combination(RefMode mode) => RunMatrix(mode, throughShadow: false);

    /// <summary>
    /// The same matrix through the shadow MMU, one instance for the whole run: each check is a
    /// shadow hit or a shadow fault, and restoring the entries between checks goes through the
    /// write protection (the stale shadow entries must be zapped, or the next check sees them).
    /// </summary>
    [Theory]
    [InlineData(RefMode.ThirtyTwoBit)]
    [InlineData(RefMode.Pae)]
    [InlineData(RefMode.FourLevel)]
    public void Shadow_MMU_matches_the_SDM_model_for_every_combination(RefMode mode) => RunMatrix(mode, throughShadow: true);

    void RunMatrix(RefMode mode, bool throughShadow)
    {
        using var run = new MatrixRun(mode, LevelsOf(mode), CpuSettings(mode), throughShadow);
        var clock = Stopwatch.StartNew();
        run.Enumerate(0);
        output.WriteLine($"{(throughShadow ? "shadow MMU" : "walker")} {mode}: {run.EntryCombinations:N0} entry combinations x {run.Settings.Length} CPU settings x 2 privileges x 3 access kinds = {run.Checked:N0} combinations checked, {run.MismatchCount} mismatches ({clock.ElapsedMilliseconds} ms)");
        foreach (var m in run.Mismatches.Take(20)) output.WriteLine(m);
        if (run.Shadow is { } shadow)
        {
            output.WriteLine($"  shadow hits {shadow.Statistics.Hits:N0}, shadow faults {shadow.Statistics.ShadowFaults:N0}, guest faults {shadow.Statistics.GuestPageFaults:N0}, entries zapped {shadow.Statistics.Zaps:N0}");
            Assert.True(shadow.Statistics.Hits > 0); // the cached path was checked, not only walks
        }
        Assert.Equal(0, run.MismatchCount);
        Assert.True(run.Checked > 0);
    }

    sealed class MatrixRun(RefMode mode, LevelSpec[] levels, RefCpu[] settings, bool throughShadow) : IDisposable
    {
        ShadowMmu? _shadow;
        JitVirt.Cpu.Cpu? _cpu;
        public ShadowMmu? Shadow => _shadow;
        readonly PagingLayout _layout = PagingLayout.For(mode);
        readonly PhysicalMemory _memory = new(PagingLayout.For(mode).RamBytes);
        readonly PagingContext[] _contexts = settings.Select(s => PagingLayout.For(mode).Context(s)).ToArray();
        readonly ulong[] _flags = new ulong[levels.Length];
        readonly ulong[] _entries = new ulong[levels.Length];
        public RefCpu[] Settings => settings;
        public long EntryCombinations, Checked, MismatchCount;
        public readonly List<string> Mismatches = new();

        public void Enumerate(int level)
        {
            if (level == levels.Length) { CheckAll(); return; }
            ulong[] bits = levels[level].Flags;
            for (int combo = 0; combo < 1 << bits.Length; combo++)
            {
                ulong flags = 0;
                for (int b = 0; b < bits.Length; b++) if ((combo >> b & 1) != 0) flags |= bits[b];
                if (levels[level].AccessedFollowsParity && (System.Numerics.BitOperations.PopCount((uint)combo) & 1) != 0) flags |= A;
                _flags[level] = flags;
                if (levels[level].EndsEveryWalk(flags))
                {
                    for (int lower = level + 1; lower < levels.Length; lower++) _flags[lower] = Permissive;
                    CheckAll();
                }
                else Enumerate(level + 1);
            }
        }

        void CheckAll()
        {
            EntryCombinations++;
            for (int i = 0; i < _entries.Length; i++) _entries[i] = _layout.Entry(i, _flags[i]);
            _layout.Write(_memory, _entries);
            for (int s = 0; s < settings.Length; s++)
            foreach (bool user in Privileges)
            foreach (var kind in Kinds)
                CheckOne(_memory, s, user, kind);
        }

        public void Dispose() => _memory.Dispose();

        void CheckOne(PhysicalMemory memory, int setting, bool user, RefAccessKind kind)
        {
            Checked++;
            RefOutcome expected = SdmPagingModel.Translate(mode, settings[setting], _entries, _layout.Linear, kind, user);
            WalkResult actual = throughShadow
                ? TranslateThroughShadow(memory, in _contexts[setting], kind, user)
                : GuestPageWalker.Walk(memory, in _contexts[setting], _layout.Linear, ToAccessKind(kind), user);

            bool changed = false, entriesMatch = true;
            for (int i = 0; i < _entries.Length; i++)
            {
                ulong now = _layout.Read(memory, i);
                changed |= now != _entries[i];
                entriesMatch &= now == expected.EntriesAfter[i];
            }
            bool ok = actual.Succeeded == !expected.Faults
                && (uint)actual.ErrorCode == expected.ErrorCode
                && (expected.Faults || actual.PhysicalAddress == expected.Physical)
                && entriesMatch;
            if (!ok) MismatchCount++;
            if (!ok && Mismatches.Count < 100)
                Mismatches.Add($"{mode} [{Describe()}] {settings[setting]} {(user ? "user" : "supervisor")} {kind}: " +
                    $"expected {(expected.Faults ? $"#PF {expected.ErrorCode:X2}" : $"{expected.Physical:X}")}, " +
                    $"got {(actual.Succeeded ? $"{actual.PhysicalAddress:X}" : $"#PF {(uint)actual.ErrorCode:X2}")}, entries " +
                    (entriesMatch ? "ok" : "differ"));
            if (changed) _layout.Write(memory, _entries);
        }

        /// <summary>The shadow MMU's answer in the walker's result shape (it reports no path).</summary>
        WalkResult TranslateThroughShadow(PhysicalMemory memory, in PagingContext context, RefAccessKind kind, bool user)
        {
            _shadow ??= new ShadowMmu(memory, context.MaxPhysicalAddress);
            _cpu ??= new JitVirt.Cpu.Cpu(memory, _shadow);
            _cpu.Cr0 = context.Cr0; _cpu.Cr3 = context.Cr3; _cpu.Cr4 = context.Cr4; _cpu.Efer = context.Efer;
            WalkPath none = default;
            return _shadow.Translate(_cpu, _layout.Linear, ToAccessKind(kind), user, out ulong physical, out uint error)
                ? WalkResult.Success(physical, in none)
                : WalkResult.Fault((PageFaultErrorCode)error, in none);
        }

        string Describe() => string.Join(" ", levels.Select((l, i) => $"{l.Name}={_flags[i]:X}"));
    }

    static AccessKind ToAccessKind(RefAccessKind kind) => kind switch
    {
        RefAccessKind.Read => AccessKind.Read,
        RefAccessKind.Write => AccessKind.Write,
        _ => AccessKind.Execute,
    };
}
