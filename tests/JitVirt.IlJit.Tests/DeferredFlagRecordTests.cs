using JitVirt.TestGuests;
using Iced.Intel;
using JitVirt.Cpu.Execution;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.IlJit.Tests;

/// <summary>
/// The last flag writer before a back edge into a member that replaces the record first is
/// written only where the edge leaves the region (DeferredFlagRecord). Each loop below ends in one
/// deferrable form; runs of every budget from 1 to 29 instructions leave the region at every
/// position, the edge included, and the state (RFLAGS materialised) must equal the interpreter's.
/// </summary>
public sealed class DeferredFlagRecordTests
{
    public static TheoryData<string> Forms => new()
    {
        "sub", "add-imm", "and", "or-imm", "xor", "cmp", "cmp-imm", "test", "test-imm",
        "shl", "shr32", "sar", "imul", "imul-imm", "imul32",
    };

    static void LastWriter(Assembler a, string form)
    {
        switch (form)
        {
            case "sub": a.sub(rdx, r11); break;
            case "add-imm": a.add(rdx, -0x7FFF_FFF0); break;
            case "and": a.and(edx, r11d); break;
            case "or-imm": a.or(rdx, 0x80); break;
            case "xor": a.xor(rdx, r11); break;
            case "cmp": a.cmp(rdx, r11); break;
            case "cmp-imm": a.cmp(edx, 0x4000_0000); break;
            case "test": a.test(rdx, r11); break;
            case "test-imm": a.test(edx, 0x8000_0001); break;
            case "shl": a.shl(rdx, 13); break;
            case "shr32": a.shr(edx, 1); break;
            case "sar": a.sar(rdx, 63); break;
            case "imul": a.imul(rdx, r11); break;
            case "imul-imm": a.imul(rdx, r11, 0x41C6); break;
            case "imul32": a.imul(edx, r11d); break;
            default: throw new ArgumentOutOfRangeException(nameof(form), form, null);
        }
    }

    /// <summary>An unconditional back edge: the loop head's ADD replaces the record.</summary>
    static Action<Assembler> JmpLoop(string form) => a =>
    {
        var top = a.CreateLabel();
        a.mov(rbx, 0x9E37_79B9_7F4A_7C15);
        a.xor(r9d, r9d);
        a.Label(ref top);
        a.add(r9, rdx);
        a.lea(rbx, __[rbx + rbx * 4 + 0x3B]); // operands walk through sign, zero, carry and overflow cases
        a.mov(rdx, rbx);
        a.mov(r11, rbx);
        a.rol(r11, 17);
        LastWriter(a, form);
        a.jmp(top);
    };

    /// <summary>A fused JNE/JS back edge whose fall-through member also starts by replacing the record.</summary>
    static Action<Assembler> JccLoop(string form) => a =>
    {
        var top = a.CreateLabel();
        a.mov(rbx, 0x0123_4567_89AB_CDEF);
        a.xor(r9d, r9d);
        a.Label(ref top);
        a.xor(r9, rdx);
        a.lea(rbx, __[rbx + rbx * 2 + 0x11]);
        a.mov(rdx, rbx);
        a.mov(r11, rbx);
        a.shr(r11, 3);
        LastWriter(a, form);
        if (form.StartsWith("cmp") || form.StartsWith("test") || form == "sub") a.jne(top); else a.js(top);
        a.sub(r9, 1);
        a.jmp(top);
    };

    [Theory]
    [MemberData(nameof(Forms))]
    public void A_deferred_record_is_the_interpreters_wherever_the_loop_leaves(string form)
    {
        foreach (var program in new[] { JmpLoop(form), JccLoop(form) })
        {
            using var run = new Lockstep(program);
            for (long budget = 1; budget < 30; budget++) run.RunChunks(15, budget);
            Assert.Contains(run.Executor.InstalledBodies, b => b.DeferredFlagRecords > 0);
        }
    }

    /// <summary>A helper at the loop head may read the flags: the record before the edge is written in place.</summary>
    [Fact]
    public void A_member_that_may_read_the_flags_first_gets_the_record_written()
    {
        Action<Assembler> program = a =>
        {
            var top = a.CreateLabel();
            a.Label(ref top);
            a.pushfq();              // a helper: reads RFLAGS
            a.pop(rax);
            a.add(r9, rax);
            a.inc(rdx);
            a.sub(rdx, 3);
            a.jmp(top);
        };
        using var run = new Lockstep(program);
        for (long budget = 1; budget < 12; budget++) run.RunChunks(10, budget);
        Assert.All(run.Executor.InstalledBodies, b => Assert.Equal(0, b.DeferredFlagRecords));
    }
}
