using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;
using JitVirt.ShadowMmu.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace JitVirt.ShadowMmu.Tests;

/// <summary>
/// Issue 4 acceptance 2: the page-table-churn guest gives the same console output and the same
/// final state (registers, data pages, slot tables) on the shadow MMU as on the direct walker,
/// under the interpreter and under the IL tier at threshold 0.
/// </summary>
public sealed class ChurnTests(ITestOutputHelper output)
{
    sealed record Outcome(string Console, ulong Checksum, ulong Rounds, ulong MemoryHash);

    static Outcome Run(Translation translation, Tier tier, Action<PagedGuest>? inspect = null)
    {
        using var g = new PagedGuest(translation);
        ChurnGuest.Seed(g);
        g.Load(ChurnGuest.Code, ChurnGuest.Emit);
        Assert.Equal(StopReason.Halted, g.Run(ChurnGuest.Code, tier, budget: 20_000_000));
        Assert.False(g.Cpu.Faulted);
        inspect?.Invoke(g);
        // FNV-1a over the data frames and the slot tables.
        ulong hash = 0xCBF2_9CE4_8422_2325;
        void Mix(ulong start, ulong length)
        {
            for (ulong a = start; a < start + length; a += 8) hash = (hash ^ g.Memory.Read(a, 8)) * 0x100_0000_01B3;
        }
        Mix(ChurnGuest.DataBase, ChurnGuest.DataFrames * 0x1000ul);
        Mix(ChurnGuest.SlotBase, 8 * ChurnGuest.SlotSize);
        return new Outcome(g.Console, g.Cpu.Gpr[Gpr.R15], g.Cpu.Gpr[Gpr.R14], hash);
    }

    [Theory]
    [InlineData(Tier.Interpreter)]
    [InlineData(Tier.Il)]
    public void The_churn_guest_runs_the_same_on_the_shadow_MMU_as_on_the_direct_walker(Tier tier)
    {
        Outcome direct = Run(Translation.Direct, tier);
        Outcome shadow = Run(Translation.Shadow, tier, g =>
        {
            var s = g.Shadow!.Statistics;
            output.WriteLine($"{tier}: shadow faults {s.ShadowFaults}, hits {s.Hits}, write-protect hits {s.WriteProtectHits}, entries zapped {s.Zaps}, " +
                $"pages zapped {s.PagesZapped}, floods {s.Floods}, unprotects {s.Unprotects}, root reuses {s.RootReuses}, TLB flushes {s.TlbFlushes}, pages created {s.PagesCreated}, pages in use {g.Shadow.ShadowPagesInUse}");
            // The guest exercised what it is for: write-protected edits of live tables and unshadowing by flood.
            Assert.True(s.Zaps > 0);
            Assert.True(s.Floods > 0);
            Assert.True(s.RootReuses > 0);
        });
        output.WriteLine($"console {direct.Console.Trim()} (direct) / {shadow.Console.Trim()} (shadow)");

        Assert.Equal(17, direct.Console.Length);
        Assert.Equal((ulong)ChurnGuest.Iterations, direct.Rounds);
        Assert.Equal(direct, shadow);
    }

    [Fact]
    public void The_churn_guest_gives_the_same_result_under_both_tiers()
    {
        Assert.Equal(Run(Translation.Shadow, Tier.Interpreter), Run(Translation.Shadow, Tier.Il));
    }
}
