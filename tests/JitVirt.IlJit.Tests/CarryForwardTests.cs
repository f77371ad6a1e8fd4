using JitVirt.TestGuests;
using Iced.Intel;
using JitVirt.Cpu.Execution;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.IlJit.Tests;

/// <summary>
/// INC/DEC right after an inline ALU instruction take its CF from the operands (CarryForward), not
/// from a record. Every ALU form (register and immediate source, 32 and 64 bits) followed by INC or
/// DEC (with a MOV between, or not), over operand pairs at the carry and sign boundaries, in lockstep
/// with the interpreter; PUSHFQ reads the flags the INC/DEC left (CF the ALU's, the rest its own).
/// </summary>
public sealed class CarryForwardTests
{
    static readonly ulong[] Values = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x1_0000_0000, 0x8000_0000_0000_0000, ulong.MaxValue];

    static IEnumerable<Action<Assembler>> Writers()
    {
        yield return a => a.add(rdx, rbx); yield return a => a.add(edx, ebx);
        yield return a => a.sub(rdx, rbx); yield return a => a.sub(edx, ebx);
        yield return a => a.cmp(rdx, rbx); yield return a => a.cmp(edx, ebx);
        yield return a => a.and(rdx, rbx); yield return a => a.or(edx, ebx);
        yield return a => a.xor(rdx, rbx); yield return a => a.test(edx, ebx);
        yield return a => a.add(rdx, -1); yield return a => a.add(edx, 0x7FFF_FFFF);
        yield return a => a.sub(rdx, 1); yield return a => a.cmp(edx, -0x8000_0000);
    }

    static IEnumerable<Action<Assembler>> Steps()
    {
        yield return a => a.inc(rdx);
        yield return a => a.dec(edx);
        yield return a => { a.mov(rax, rdx); a.dec(rcx); };   // a MOV between, another register stepped
        yield return a => { a.lea(rax, __[rdx + rbx]); a.inc(ecx); };
    }

    static void Program(Assembler a) => Lockstep.OperandPairLoop(a, Values.Length * Values.Length, r10d, a =>
    {
        foreach (var writer in Writers())
            foreach (var step in Steps())
            {
                a.mov(rdx, __qword_ptr[rsi]);
                a.mov(rbx, __qword_ptr[rsi + 8]);
                a.mov(rcx, rbx);
                writer(a);
                step(a);
                a.pushfq();
                a.pop(rax);
                a.add(r9, rax);
                a.rol(r9, 3);
                a.add(r8, rdx);
                a.xor(r8, rcx);
                a.rol(r8, 7);
            }
    });

    [Fact]
    public void The_kept_carry_is_the_interpreters()
    {
        using var run = new Lockstep(Program);
        run.WriteOperandPairs(Values);
        Assert.Equal(StopReason.Halted, run.RunChunks(100_000, 200));
        Assert.True(run.Executor.CompiledBlockRuns > 0, "the forms ran compiled");
    }

    [Fact]
    public void Only_an_alu_writer_with_nothing_but_mov_or_lea_before_a_live_step_supplies_the_carry()
    {
        var K = new[] { InlineForms.Kind.Binary, InlineForms.Kind.Mov, InlineForms.Kind.Dec, InlineForms.Kind.Binary, InlineForms.Kind.None, InlineForms.Kind.Inc, InlineForms.Kind.Binary, InlineForms.Kind.Inc };
        var effects = Array.ConvertAll(K, FlagLiveness.EffectOf);
        var dead = new bool[K.Length];
        dead[7] = true; // a dead INC needs no carry
        var consumers = CarryForward.Consumers(new Instruction[K.Length], K, effects, dead);
        // 0 → 2 (MOV between); 3 is cut off from 5 by a helper; 6 feeds a dead INC.
        Assert.Equal([2, -1, -1, -1, -1, -1, -1, -1], consumers);
    }
}
