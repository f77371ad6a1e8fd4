using Iced.Intel;
using JitVirt.Frontend;
using JitVirt.TestGuests;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.IlJit.Tests;

/// <summary>
/// Scope 6 of the IL-tier issue: a frame whose code keeps being rewritten is demoted to the
/// interpreter, and the number of live compiled bodies is bounded by evicting the least recently
/// run — in both cases with the guest seeing exactly what the interpreter alone produces.
/// </summary>
public sealed class InvalidationHygieneTests
{
    /// <summary>Every iteration patches the immediate of the loop's first instruction with the iteration count.</summary>
    static void Rewriter(Assembler a)
    {
        var top = a.CreateLabel();
        a.xor(edx, edx);
        a.lea(rsi, __[top]);
        a.Label(ref top);
        a.mov(eax, 1);                    // B8 imm32: the immediate is at top + 1
        a.add(ebx, eax);
        a.inc(edx);
        a.mov(__dword_ptr[rsi + 1], edx); // rewrites the code page
        a.jmp(top);
    }

    [Fact]
    public void A_frame_rewritten_more_than_the_limit_stays_interpreted()
    {
        using var run = new Lockstep(Rewriter, executor: (cpu, interpreter) =>
            new TieredExecutor(cpu, interpreter, threshold: 0) { DemoteAfterRewrites = 3 });
        run.RunChunks(40, 50); // 2000 instructions: ~400 rewrites
        Assert.Equal(1, run.Executor.DemotedFrames);
        int compiled = run.Executor.BlocksCompiled;
        run.RunChunks(40, 50);
        Assert.Equal(compiled, run.Executor.BlocksCompiled); // nothing on the frame compiles any more
        Assert.Equal(0, run.Executor.LiveBodies);
        // The guest still ran its ~800 iterations: EDX counts them, EBX sums the patched immediates.
        Assert.InRange(run.Tiered.Cpu.Gpr[2], 700ul, 900ul);
    }

    [Fact]
    public void A_body_whose_code_was_rewritten_while_it_compiled_is_discarded()
    {
        // Deterministic background mode installs at the start of the next run; by then the guest
        // has rewritten the block it asked for, so the body must be thrown away, not installed.
        using var run = new Lockstep(Rewriter, executor: (cpu, interpreter) =>
            new TieredExecutor(cpu, interpreter, threshold: 0) { Compilation = CompileMode.BackgroundDeterministic, DemoteAfterRewrites = int.MaxValue });
        run.RunChunks(30, 40);
        Assert.True(run.Executor.CompilesDiscarded > 0, "stale bodies were discarded");
        Assert.All(run.Executor.InstalledBodies, b => Assert.True(b.Block.IsValid));
    }

    [Fact]
    public void Without_demotion_every_rewrite_compiles_again()
    {
        // The control for the test above: the same guest, a limit it never reaches.
        using var run = new Lockstep(Rewriter, executor: (cpu, interpreter) =>
            new TieredExecutor(cpu, interpreter, threshold: 0) { DemoteAfterRewrites = int.MaxValue });
        run.RunChunks(40, 50);
        int compiled = run.Executor.BlocksCompiled;
        run.RunChunks(40, 50);
        Assert.Equal(0, run.Executor.DemotedFrames);
        Assert.True(run.Executor.BlocksCompiled >= compiled + 300, $"{compiled} then {run.Executor.BlocksCompiled}");
    }

    /// <summary>A cycle of <paramref name="blocks"/> two-instruction blocks (INC EAX; JMP next).</summary>
    static Action<Assembler> Cycle(int blocks) => a =>
    {
        var top = a.CreateLabel();
        a.Label(ref top);
        for (int k = 0; k < blocks; k++)
        {
            var next = a.CreateLabel();
            a.inc(eax);
            a.jmp(next);
            a.Label(ref next);
        }
        a.jmp(top);
    };

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Live_bodies_stay_within_the_bound_and_eviction_unlinks_them(bool chaining)
    {
        using var run = new Lockstep(Cycle(40), executor: (cpu, interpreter) =>
            new TieredExecutor(cpu, interpreter, threshold: 0) { MaxLiveBodies = 16, Chaining = chaining, MaxRegionInstructions = 1 }); // one body per block: 41 bodies for 16 places
        for (int k = 0; k < 20; k++)
        {
            run.RunChunks(1, 333);
            Assert.InRange(run.Executor.LiveBodies, 1, 16);
        }
        Assert.True(run.Executor.BodiesEvicted > 0);
        // Eviction unlinked every transfer into an evicted body: slots lead to installed bodies only.
        var installed = run.Executor.InstalledBodies.ToHashSet();
        int links = 0;
        foreach (var body in installed)
            foreach (var slot in body.Slots)
                if (slot.Target is { } target) { links++; Assert.Contains(target, installed); }
        if (chaining) Assert.True(links > 0, "the bodies were linked");
        else Assert.Equal(0, links);
        // 6,660 instructions of a cycle of 81 (40 × INC, JMP; then JMP top): EAX counts the INCs.
        const long total = 20 * 333, cycle = 40 * 2 + 1;
        long incs = total / cycle * 40 + (total % cycle + 1) / 2;
        Assert.Equal((ulong)incs, run.Tiered.Cpu.Gpr[0]);
    }

    /// <summary>
    /// 30 cold blocks (INC EBX; CALL hot) run once each, each followed by the one hot block
    /// (INC EAX; RET): with room for 8 bodies, eviction must take cold blocks only, so no block is
    /// ever compiled twice.
    /// </summary>
    [Fact]
    public void Eviction_takes_the_least_recently_run_bodies()
    {
        const int cold = 30;
        using var m = new BareMetal(a =>
        {
            var start = a.CreateLabel();
            var hot = a.CreateLabel();
            var end = a.CreateLabel();
            a.jmp(start);
            a.Label(ref hot);
            a.inc(eax);
            a.ret();
            a.Label(ref start);
            for (int k = 0; k < cold; k++)
            {
                a.inc(ebx);
                a.call(hot);
            }
            a.Label(ref end);
            a.jmp(end);
        });
        using var tier = new TieredExecutor(m.Cpu, m.Interpreter, threshold: 0) { MaxLiveBodies = 8 };
        tier.Run(1); // JMP start
        tier.Run(2); // INC EBX; CALL hot
        ulong hot = m.Cpu.Rip; // identity-mapped: RIP is the physical address
        tier.Run(4 * cold - 2 + 10);
        var hotBlock = m.Interpreter.Blocks.LookupPhysical(hot, CodeMode.Bits64);
        Assert.Equal((ulong)cold, m.Cpu.Gpr[0]);
        Assert.Equal((ulong)cold, m.Cpu.Gpr[3]);
        Assert.True(tier.BodiesEvicted >= cold - 8, $"{tier.BodiesEvicted} evicted");
        Assert.NotNull(hotBlock);
        Assert.True(tier.HasCompiled(hotBlock));
        Assert.True(m.Interpreter.Blocks.BlocksDecoded > cold);
        // Nothing compiled twice: every block decoded was compiled once, but the first (JMP start),
        // which ran through the interpreter because the reset left a mode change pending.
        Assert.Equal(m.Interpreter.Blocks.BlocksDecoded - 1, tier.BlocksCompiled);
    }
}
