using JitVirt.TestGuests;
using Iced.Intel;
using JitVirt.Cpu.Execution;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.IlJit.Tests;

/// <summary>
/// Every Jcc after an inline CMP, TEST, SUB, DEC or ADD, at 32 and 64 bits, over operand pairs at the
/// signed and unsigned boundaries, in lockstep with the interpreter (whose Jcc reads the lazy
/// flag record): a condition computed from the operands that disagrees with the flags takes the
/// other path, and the next comparison sees a different RIP or R8.
/// </summary>
public sealed class FusedConditionTests
{
    static readonly ulong[] Values = [0, 1, 5, ulong.MaxValue, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x8000_0000_0000_0000, 0x7FFF_FFFF_FFFF_FFFF];

    static readonly Func<Assembler, Label, bool>[] Jumps =
    [
        (a, l) => { a.jo(l); return true; }, (a, l) => { a.jno(l); return true; }, (a, l) => { a.jb(l); return true; }, (a, l) => { a.jae(l); return true; },
        (a, l) => { a.je(l); return true; }, (a, l) => { a.jne(l); return true; }, (a, l) => { a.jbe(l); return true; }, (a, l) => { a.ja(l); return true; },
        (a, l) => { a.js(l); return true; }, (a, l) => { a.jns(l); return true; }, (a, l) => { a.jp(l); return true; }, (a, l) => { a.jnp(l); return true; },
        (a, l) => { a.jl(l); return true; }, (a, l) => { a.jge(l); return true; }, (a, l) => { a.jle(l); return true; }, (a, l) => { a.jg(l); return true; },
    ];

    /// <summary>The flag-writing instructions before the Jcc (RAX, RBX: the pair; RDX a scratch copy of RAX).</summary>
    static readonly Action<Assembler>[] Writers =
    [
        a => a.cmp(rax, rbx), a => a.cmp(eax, ebx), a => a.cmp(eax, 5), a => a.cmp(rax, -1),
        a => a.test(rax, rbx), a => a.test(eax, ebx),
        a => { a.mov(rdx, rax); a.sub(rdx, rbx); }, a => { a.mov(edx, eax); a.sub(edx, ebx); },
        a => { a.mov(rdx, rax); a.dec(rdx); }, a => { a.mov(edx, eax); a.add(edx, ebx); },
    ];

    static void Program(Assembler a) => Lockstep.OperandPairLoop(a, Values.Length * Values.Length, ecx, a =>
    {
        a.mov(rax, __qword_ptr[rsi]);
        a.mov(rbx, __qword_ptr[rsi + 8]);
        foreach (var writer in Writers)
            foreach (var jump in Jumps)
            {
                var skip = a.CreateLabel();
                writer(a);
                jump(a, skip);
                a.lea(r8, __[r8 + r8 + 1]); // not taken: shift in a one
                a.Label(ref skip);
                a.add(r8, r8);              // either way: shift
            }
    });

    [Fact]
    public void Every_condition_after_an_inline_flag_writer_agrees_with_the_interpreter()
    {
        using var run = new Lockstep(Program);
        run.WriteOperandPairs(Values);
        Assert.Equal(StopReason.Halted, run.RunChunks(100_000, 7));
        Assert.True(run.Executor.BlocksCompiled > 0);
    }
}
