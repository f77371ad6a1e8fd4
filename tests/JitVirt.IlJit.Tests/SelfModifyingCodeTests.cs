using JitVirt.TestGuests;
using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Memory;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.IlJit.Tests;

/// <summary>
/// Acceptance 3: a guest that rewrites code sees the new code on its next execution, in the
/// interpreter (the lockstep reference) and in compiled code (threshold 0: compiled on first entry;
/// threshold 2: compiled once hot, then patched). A store into code is visible to the very next
/// instruction fetch (SDM vol.3 §11.6, self-modifying code). Each guest patches the imm32 of a
/// <c>MOV EAX, imm32</c> (B8 id) with a loop counter and sums what it loads into EBX, so the
/// expected sum is worked out here from the counter values alone. ECX counts down from 10; while
/// it is above 5 the store goes to the data area instead (CMOV, so the block stays one block), so
/// the code runs unpatched — and, at threshold 2, compiled — before the first patch.
/// </summary>
public sealed class SelfModifyingCodeTests
{
    const int Iterations = 10, PatchFrom = 5;
    const ulong Alias = 0x30_0000; // a second linear page mapped onto the code's first frame

    /// <summary>(a) The store rewrites the instruction right after it, in the same block.</summary>
    [Theory, InlineData(0), InlineData(2)]
    public void Store_to_the_next_instruction_in_the_same_block(long threshold)
    {
        using var run = new Lockstep(a =>
        {
            var top = a.CreateLabel();
            var patch = a.CreateLabel();
            a.xor(ebx, ebx);
            a.mov(ecx, Iterations);
            a.Label(ref top);
            StoreTarget(a, patch);
            a.mov(__byte_ptr[rdi + 1], cl); // imm32 low byte ← ECX
            a.Label(ref patch);
            a.mov(eax, 100);
            a.add(ebx, eax);
            a.dec(ecx);
            a.jnz(top);
            a.hlt();
        }, threshold: threshold);
        Assert.Equal(StopReason.Halted, run.Run(1000));
        Assert.Equal(5 * 100ul + 5 + 4 + 3 + 2 + 1, run.Tiered.Cpu.Gpr[JitVirt.Cpu.State.Gpr.Rbx]);
        Assert.True(run.Executor.CompiledBlockRuns > 0);
    }

    /// <summary>(b) One block rewrites another block on the same page, which has already run (and, compiled, been compiled).</summary>
    [Theory, InlineData(0), InlineData(2)]
    public void Store_to_another_block_on_the_same_page(long threshold)
    {
        using var run = new Lockstep(a => CallAndPatch(a, viaAlias: false), threshold: threshold);
        Assert.Equal(StopReason.Halted, run.Run(1000));
        Assert.Equal(5 * 100ul + 100 + 5 + 4 + 3 + 2, run.Tiered.Cpu.Gpr[JitVirt.Cpu.State.Gpr.Rbx]);
        Assert.True(run.Executor.CompiledBlockRuns > 0);
    }

    /// <summary>(c) The called block runs through a second linear alias of its physical page; the store goes through the first.</summary>
    [Theory, InlineData(0), InlineData(2)]
    public void Store_through_one_alias_is_seen_through_the_other(long threshold)
    {
        using var run = new Lockstep(a => CallAndPatch(a, viaAlias: true), () => new AliasTranslator(), threshold: threshold);
        Assert.Equal(StopReason.Halted, run.Run(1000));
        Assert.Equal(5 * 100ul + 100 + 5 + 4 + 3 + 2, run.Tiered.Cpu.Gpr[JitVirt.Cpu.State.Gpr.Rbx]);
        Assert.True(run.Executor.CompiledBlockRuns > 0);
    }

    /// <summary>(b) and (c) again in runs of many instructions, so the patched block is reached through chained links that the store must unlink.</summary>
    [Theory, InlineData(false, 3), InlineData(false, 50), InlineData(true, 3), InlineData(true, 50)]
    public void Chained_links_into_a_patched_block_are_cut(bool viaAlias, long budget)
    {
        using var run = new Lockstep(a => CallAndPatch(a, viaAlias), viaAlias ? () => new AliasTranslator() : null);
        Assert.Equal(StopReason.Halted, run.RunChunks(1000, budget));
        Assert.Equal(5 * 100ul + 100 + 5 + 4 + 3 + 2, run.Tiered.Cpu.Gpr[JitVirt.Cpu.State.Gpr.Rbx]);
        if (budget > 3) Assert.True(run.Executor.LinksMade > 0);
    }

    /// <summary>Calls <c>fn: MOV EAX, 100; RET</c> (through the alias if asked), adds EAX to EBX, then patches fn's immediate with ECX.</summary>
    static void CallAndPatch(Assembler a, bool viaAlias)
    {
        var top = a.CreateLabel();
        var fn = a.CreateLabel();
        a.xor(ebx, ebx);
        a.mov(ecx, Iterations);
        a.Label(ref top);
        a.lea(rsi, __[fn]);
        if (viaAlias)
        {
            a.mov(rax, (long)(Alias - BareMetal.CodeAddress));
            a.add(rsi, rax);
        }
        a.call(rsi);
        a.add(ebx, eax);
        StoreTarget(a, fn);
        a.mov(__byte_ptr[rdi + 1], cl);
        a.dec(ecx);
        a.jnz(top);
        a.hlt();
        a.Label(ref fn);
        a.mov(eax, 100);
        a.ret();
    }

    /// <summary>RDI ← the code at <paramref name="code"/> once ECX ≤ PatchFrom, else the data area (no branch).</summary>
    static void StoreTarget(Assembler a, Label code)
    {
        a.mov(rdi, (long)BareMetal.DataAddress);
        a.lea(rdx, __[code]);
        a.cmp(ecx, PatchFrom);
        a.cmovbe(rdi, rdx);
    }

    /// <summary>Identity, except that the page at <see cref="Alias"/> maps the code's first frame.</summary>
    sealed class AliasTranslator : IAddressTranslator
    {
        public bool Translate(JitVirt.Cpu.Cpu cpu, ulong linear, AccessKind kind, bool user, out ulong physical, out uint pageFaultErrorCode)
        {
            physical = linear - Alias < 0x1000 ? BareMetal.CodeAddress + (linear - Alias) : linear;
            pageFaultErrorCode = 0;
            return true;
        }

        public void Invalidate(JitVirt.Cpu.Cpu cpu, ulong? linearPage) { }
    }
}
