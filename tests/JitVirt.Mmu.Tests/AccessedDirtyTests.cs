using JitVirt.Cpu.Memory;
using JitVirt.Mmu.Tests.Reference;
using JitVirt.Mmu.Tests.Support;
using JitVirt.Mmu.Walker;
using Xunit;
using static JitVirt.Mmu.Tests.Support.Walks;

namespace JitVirt.Mmu.Tests;

/// <summary>
/// Accessed and dirty flags (SDM vol.3 §5.8): A in every entry of a successful translation, D in
/// the entry that maps the page on a write, nothing on a walk that faults, and no memory write
/// when the flags are already set.
/// </summary>
public sealed class AccessedDirtyTests
{
    const ulong Rwu = P | RW | US;

    [Theory]
    [InlineData(RefMode.ThirtyTwoBit)]
    [InlineData(RefMode.Pae)]
    [InlineData(RefMode.FourLevel)]
    public void A_read_sets_A_at_every_level_and_no_D(RefMode mode)
    {
        using var w = new Walks(mode);
        w.Set(mode == RefMode.Pae ? [P] : []);
        Assert.True(w.Walk(AccessKind.Read).Succeeded);
        for (int level = FirstWithAccessed(mode); level < w.Layout.Levels; level++)
            Assert.Equal(A, w.Entry(level) & (A | D));
    }

    [Theory]
    [InlineData(RefMode.ThirtyTwoBit)]
    [InlineData(RefMode.Pae)]
    [InlineData(RefMode.FourLevel)]
    public void A_write_sets_D_only_in_the_PTE(RefMode mode)
    {
        using var w = new Walks(mode);
        w.Set(mode == RefMode.Pae ? [P] : []);
        Assert.True(w.Walk(AccessKind.Write).Succeeded);
        int leaf = w.Layout.Levels - 1;
        for (int level = FirstWithAccessed(mode); level < leaf; level++)
            Assert.Equal(A, w.Entry(level) & (A | D));
        Assert.Equal(A | D, w.Entry(leaf) & (A | D));
    }

    [Fact]
    public void A_fetch_sets_A_and_no_D()
    {
        using var w = new Walks(RefMode.FourLevel);
        w.Set();
        Assert.True(w.Walk(AccessKind.Execute, user: true).Succeeded);
        for (int level = 0; level < 4; level++) Assert.Equal(A, w.Entry(level) & (A | D));
    }

    [Fact]
    public void A_supervisor_write_to_a_read_only_page_with_WP_0_succeeds_and_sets_D()
    {
        using var w = new Walks(RefMode.FourLevel, new RefCpu(WriteProtect: false, Nxe: true, Pse: true));
        w.Set(P | US, P | US, P | US, P | US);
        Assert.True(w.Walk(AccessKind.Write).Succeeded);
        Assert.Equal(A | D, w.Entry(3) & (A | D));

        w.Cpu = w.Cpu with { WriteProtect = true };
        w.Set(P | US, P | US, P | US, P | US);
        var r = w.Walk(AccessKind.Write);
        Assert.Equal(PageFaultErrorCode.Present | PageFaultErrorCode.Write, r.ErrorCode);
        Assert.Equal(0ul, w.Entry(3) & (A | D));
    }

    public static TheoryData<string, ulong[], AccessKind, bool> FaultingWalks => new()
    {
        { "PTE not present", [Rwu, Rwu, Rwu, 0], AccessKind.Read, false },
        { "PDE not present", [Rwu, Rwu, 0, Rwu], AccessKind.Write, true },
        { "user read of a supervisor PDPTE", [Rwu, P | RW, Rwu, Rwu], AccessKind.Read, true },
        { "user write to a read-only PTE", [Rwu, Rwu, Rwu, P | US], AccessKind.Write, true },
        { "fetch from an XD PML4E", [Rwu | XD, Rwu, Rwu, Rwu], AccessKind.Execute, false },
        { "reserved bit in the PTE", [Rwu, Rwu, Rwu, Rwu | (1ul << 45)], AccessKind.Read, false },
    };

    [Theory]
    [MemberData(nameof(FaultingWalks))]
    public void A_walk_that_faults_changes_no_entry(string why, ulong[] flags, AccessKind kind, bool user)
    {
        using var w = new Walks(RefMode.FourLevel);
        ulong[] before = w.Set(flags);
        Assert.False(w.Walk(kind, user).Succeeded, why);
        for (int level = 0; level < 4; level++) Assert.Equal(before[level], w.Entry(level));
    }

    [Fact]
    public void Flags_already_set_cause_no_write_and_new_flags_go_through_physical_memory()
    {
        using var w = new Walks(RefMode.FourLevel);
        w.Set();
        var written = new List<ulong>();
        w.Memory.CodePageWritten += frame => written.Add(frame);
        ulong[] tableFrames = w.Layout.EntryAddresses.Select(a => a >> 12).ToArray();
        void MarkTablesAsCode() { foreach (ulong f in tableFrames) w.Memory.MarkCodeFrame(f); }

        MarkTablesAsCode();
        Assert.True(w.Walk(AccessKind.Read).Succeeded);
        Assert.Equal(tableFrames, written);               // A set in every level, top first

        written.Clear();
        MarkTablesAsCode();
        Assert.True(w.Walk(AccessKind.Read).Succeeded);
        Assert.Empty(written);                            // nothing left to set

        Assert.True(w.Walk(AccessKind.Write).Succeeded);
        Assert.Equal([tableFrames[3]], written);          // only D in the PTE
    }

    [Fact]
    public void Bytes_other_than_the_flag_byte_are_not_rewritten()
    {
        using var w = new Walks(RefMode.FourLevel);
        ulong[] before = w.Set(Rwu, Rwu, Rwu, Rwu | G | (0x7Ful << 52));
        Assert.True(w.Walk(AccessKind.Write).Succeeded);
        Assert.Equal(before[3] | A | D, w.Entry(3));
    }

    static int FirstWithAccessed(RefMode mode) => mode == RefMode.Pae ? 1 : 0;
}
