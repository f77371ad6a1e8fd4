using JitVirt.TestGuests;
using Iced.Intel;
using JitVirt.Cpu.Execution;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.IlJit.Tests;

/// <summary>
/// SHL/SAL/SHR/SAR/ROL/ROR r, imm8 and IMUL r, r / IMUL r, r, imm inline (InlineForms.Kind.Shift,
/// Kind.Multiply), at 32 and 64 bits, over counts at and around the masks (0, 1, width−1, width,
/// 63, 64, 255) and operands at the signed and unsigned boundaries, in lockstep with the
/// interpreter: the flags each form leaves are folded into R9 right after it (PUSHFQ reads them)
/// and every result into R8, then each form runs again with its flags dead (the ADD after it
/// replaces them: the no-flags emission), so a wrong value, a lost zero-extension or a wrong flag
/// shows up at the next comparison.
/// </summary>
public sealed class ShiftMultiplyInlineTests
{
    static readonly ulong[] Values = [0, 1, 0x80, ulong.MaxValue, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x8000_0000_0000_0000, 0x7FFF_FFFF_FFFF_FFFF, 0x0123_4567_89AB_CDEF];
    static readonly byte[] Counts = [0, 1, 2, 31, 32, 33, 63, 64, 255];

    static IEnumerable<Action<Assembler>> Forms()
    {
        foreach (byte n in Counts)
        {
            yield return a => a.shl(rdx, n); yield return a => a.shl(edx, n);
            yield return a => a.sal(rdx, n); yield return a => a.shr(edx, n);
            yield return a => a.shr(rdx, n); yield return a => a.sar(edx, n);
            yield return a => a.sar(rdx, n); yield return a => a.rol(edx, n);
            yield return a => a.rol(rdx, n); yield return a => a.ror(edx, n);
            yield return a => a.ror(rdx, n);
        }
        yield return a => a.imul(rdx, rbx); yield return a => a.imul(edx, ebx);
        yield return a => a.imul(rdx, rbx, 0x41C6); yield return a => a.imul(edx, ebx, -3);
        yield return a => a.imul(rdx, rbx, -0x8000_0000); yield return a => a.imul(edx, ebx, 0x7FFF_FFFF);
        yield return a => a.imul(rdx, rdx, 127);
    }

    static void Program(Assembler a) => Lockstep.OperandPairLoop(a, Values.Length * Values.Length, ecx, a =>
    {
        foreach (var form in Forms())
        {
            // Flags observed: PUSHFQ (a helper) reads what the form left, so its record is written.
            a.mov(rdx, __qword_ptr[rsi]);
            a.mov(rbx, __qword_ptr[rsi + 8]);
            a.add(rax, 0);     // a known flag state before forms that may leave the flags alone
            form(a);
            a.pushfq();
            a.pop(rax);
            a.add(r9, rax);    // the flags the form left
            a.rol(r9, 3);
            a.add(r8, rdx);    // the result, all 64 bits
            a.rol(r8, 7);
            // Flags dead: the ADD after the form replaces them, so only its result is computed.
            a.mov(rdx, __qword_ptr[rsi]);
            form(a);
            a.add(r8, rdx);
            a.rol(r8, 5);
        }
    });

    [Fact]
    public void Every_form_is_inline()
    {
        var a = new Assembler(64);
        foreach (var form in Forms()) form(a);
        var writer = new CodeBytes();
        a.Assemble(writer, 0x1000);
        var decoder = Decoder.Create(64, writer.Bytes.ToArray());
        decoder.IP = 0x1000;
        int n = 0;
        while (decoder.IP < 0x1000 + (ulong)writer.Bytes.Count)
        {
            var insn = decoder.Decode();
            var kind = InlineForms.Classify(insn);
            Assert.True(kind is InlineForms.Kind.Shift or InlineForms.Kind.Multiply, $"{insn}: {kind}");
            n++;
        }
        Assert.Equal(Forms().Count(), n);
        Assert.Equal(InlineForms.Kind.None, InlineForms.Classify(Decode(x => x.shl(edx, cl))));  // by CL: the handler
        Assert.Equal(InlineForms.Kind.None, InlineForms.Classify(Decode(x => x.imul(rbx))));     // RDX:RAX: the handler
        Assert.Equal(InlineForms.Kind.None, InlineForms.Classify(Decode(x => x.shl(dx, 3))));    // 16-bit: the handler
    }

    [Fact]
    public void Results_and_flags_agree_with_the_interpreter()
    {
        using var run = new Lockstep(Program);
        run.WriteOperandPairs(Values);
        Assert.Equal(StopReason.Halted, run.RunChunks(100_000, 200)); // a budget that covers whole 64-instruction blocks
        Assert.True(run.Executor.CompiledBlockRuns > 0, "the forms ran compiled");
    }

    static Instruction Decode(Action<Assembler> emit)
    {
        var a = new Assembler(64);
        emit(a);
        var writer = new CodeBytes();
        a.Assemble(writer, 0x1000);
        return Decoder.Create(64, writer.Bytes.ToArray()).Decode();
    }

    sealed class CodeBytes : CodeWriter
    {
        public readonly List<byte> Bytes = new();
        public override void WriteByte(byte value) => Bytes.Add(value);
    }
}
