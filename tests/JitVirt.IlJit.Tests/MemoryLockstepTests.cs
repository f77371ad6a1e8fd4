using JitVirt.TestGuests;
using Iced.Intel;
using JitVirt.Cpu.Execution;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.IlJit.Tests;

/// <summary>
/// Random blocks dense in the inline memory forms (MOV/ALU with memory operands, PUSH/POP,
/// RIP-relative and FS-relative operands, unaligned and page-crossing displacements) mixed with
/// register forms and helper-called ones, run in lockstep with the interpreter (state and the
/// data pages compared after every block), plus a self-modifying loop whose patch is a dword
/// store through the fast path's form.
/// </summary>
public sealed class MemoryLockstepTests
{
    // RSP, RSI (data pointer) and R12 (small index) are never random destinations.
    static readonly AssemblerRegister64[] R64 = [rax, rbx, rcx, rdx, rdi, rbp, r8, r9, r10, r11, r13, r14, r15];
    static readonly AssemblerRegister32[] R32 = [eax, ebx, ecx, edx, edi, ebp, r8d, r9d, r10d, r11d, r13d, r14d, r15d];
    const ulong DataPointer = BareMetal.DataAddress + 0x800;
    const ulong FsBase = BareMetal.DataAddress + 0x1400;

    public static TheoryData<int> Seeds()
    {
        var d = new TheoryData<int>();
        for (int s = 1; s <= 30; s++) d.Add(s);
        return d;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Random_memory_block_matches_the_interpreter(int seed)
    {
        var rng = new Random(seed * 7919);
        int length = rng.Next(5, 50);
        var ops = new List<Action<Assembler>>();
        for (int n = 0; n < length; n++) ops.Add(RandomInstruction(rng));
        var initial = new ulong[16];
        for (int r = 0; r < 16; r++) initial[r] = rng.Next(4) == 0 ? (ulong)rng.Next(-3, 3) : (ulong)rng.NextInt64() ^ ((ulong)rng.Next() << 40);
        ulong index = (ulong)rng.Next(0, 0x40);
        void Program(Assembler a)
        {
            var top = a.CreateLabel();
            var alt = a.CreateLabel();
            var constants = a.CreateLabel();
            a.Label(ref top);
            foreach (var op in ops) op(a);
            a.add(rax, __qword_ptr[constants]); // RIP-relative load, flags for the branch
            a.js(alt);
            a.jmp(top);
            a.Label(ref alt);
            a.sub(__qword_ptr[rsi + 8], rax);
            a.push(rbx);
            a.xor(rbx, __qword_ptr[rsp]);
            a.pop(rdx);
            a.jmp(top);
            a.Label(ref constants);
            a.dq(0x0123_4567_89AB_CDEFul);
        }
        using var run = new Lockstep(Program);
        run.SetRegisters(cpu =>
        {
            for (int r = 0; r < 16; r++) if (r is not (4 or 6 or 12)) cpu.Gpr[r] = initial[r];
            cpu.Gpr[6] = DataPointer;
            cpu.Gpr[12] = index;
            cpu.Segments[JitVirt.Cpu.State.SegmentIndex.Fs].Base = FsBase;
            cpu.SetRflags(0x2 | (initial[0] & 0x8D5));
        });
        run.Run(200, dataBytes: 0x2000);
        Assert.True(run.Executor.CompiledBlockRuns > 0);
    }

    static Action<Assembler> RandomInstruction(Random rng)
    {
        int i = rng.Next(R64.Length), j = rng.Next(R64.Length);
        var q = R64[i]; var q2 = R64[j]; var d = R32[i]; var d2 = R32[j];
        int imm = rng.Next(3) switch { 0 => rng.Next(-128, 128), 1 => rng.Next(), _ => -rng.Next() };
        // Mostly aligned, sometimes not; near the page end (DataPointer + 0x7F8.. crosses DataAddress + 0x1000).
        int disp = rng.Next(4) switch { 0 => rng.Next(-0x100, 0x100), 1 => 0x7F8 + rng.Next(0, 8), _ => rng.Next(-0x100, 0xFF) * 8 };
        bool wide = rng.Next(2) == 0;
        return rng.Next(28) switch
        {
            0 => wide ? a => a.mov(q, __qword_ptr[rsi + disp]) : a => a.mov(d, __dword_ptr[rsi + disp]),
            1 => wide ? a => a.mov(__qword_ptr[rsi + disp], q) : a => a.mov(__dword_ptr[rsi + disp], d),
            2 => wide ? a => a.mov(__qword_ptr[rsi + r12 * 8 + disp], imm) : a => a.mov(__dword_ptr[rsi + r12 * 4 + disp], imm),
            3 => wide ? a => a.add(q, __qword_ptr[rsi + disp]) : a => a.sub(d, __dword_ptr[rsi + disp]),
            4 => wide ? a => a.and(q, __qword_ptr[rsi + r12 * 2 + disp]) : a => a.or(d, __dword_ptr[rsi + disp]),
            5 => wide ? a => a.xor(q, __qword_ptr[rsi + disp]) : a => a.cmp(d, __dword_ptr[rsi + disp]),
            6 => wide ? a => a.add(__qword_ptr[rsi + disp], q) : a => a.sub(__dword_ptr[rsi + disp], d),
            7 => wide ? a => a.and(__qword_ptr[rsi + disp], imm) : a => a.or(__dword_ptr[rsi + disp], imm),
            8 => wide ? a => a.xor(__qword_ptr[rsi + disp], q) : a => a.cmp(__dword_ptr[rsi + disp], imm),
            9 => wide ? a => a.test(__qword_ptr[rsi + disp], q) : a => a.test(__dword_ptr[rsi + disp], imm),
            10 => a => { a.push(q); a.pop(q2); },
            11 => a => { a.push(imm); a.add(q, __qword_ptr[rsp]); a.pop(q2); },
            12 => wide ? a => a.mov(q, __qword_ptr.fs[r12 * 8]) : a => a.mov(__dword_ptr.fs[r12 * 4 + 4], d),
            13 => a => a.cmp(q, __qword_ptr[rsi + disp]),
            // register forms
            14 => wide ? a => a.add(q, q2) : a => a.add(d, imm),
            15 => wide ? a => a.mov(q, (long)imm * 0x10001) : a => a.mov(d, d2),
            16 => wide ? a => a.inc(q) : a => a.dec(d),
            17 => a => a.lea(q, __[q2 + 5]),
            // 8/16-bit memory operands (inline) and extending loads
            18 => wide ? a => a.mov(__byte_ptr[rsi + disp], (byte)imm) : a => a.mov(__byte_ptr[rsi + disp], ah),
            19 => wide ? a => a.mov(__word_ptr[rsi + disp], d2.GetWord()) : a => a.add(__word_ptr[rsi + disp], (short)imm),
            20 => wide ? a => a.cmp(__byte_ptr[rsi + disp], (byte)imm) : a => a.test(__byte_ptr[rsi + disp], bh),
            21 => wide ? a => a.sub(__byte_ptr[rsi + disp], sil) : a => a.xor(__word_ptr[rsi + disp], cx),
            22 => wide ? a => a.movzx(d, __byte_ptr[rsi + disp]) : a => a.movsx(q, __word_ptr[rsi + disp]),
            23 => wide ? a => a.movsxd(q, __dword_ptr[rsi + disp]) : a => a.movsx(d, __byte_ptr[rsi + disp]),
            // helper-called forms (shifts, carries, IMUL with memory, byte loads into registers)
            24 => wide ? a => a.adc(q, q2) : a => a.sbb(d, imm),
            25 => a => a.shl(q, (byte)(imm & 63)),
            26 => a => a.mov(cl, __byte_ptr[rsi + disp]),
            _ => a => a.imul(q, __qword_ptr[rsi + disp]),
        };
    }

    /// <summary>
    /// Nested CALL/RET (inline forms ending their blocks) around memory work, with a RET whose
    /// return address the callee rewrote on the stack, in lockstep; RBX sums what each level did.
    /// </summary>
    [Fact]
    public void Calls_and_returns_match_the_interpreter()
    {
        using var run = new Lockstep(a =>
        {
            var top = a.CreateLabel();
            var outerFn = a.CreateLabel();
            var innerFn = a.CreateLabel();
            var redirected = a.CreateLabel();
            a.mov(rsi, (long)BareMetal.DataAddress);
            a.Label(ref top);
            a.call(outerFn);
            a.add(rbx, 1);
            a.jmp(top);
            a.Label(ref outerFn);
            a.push(rbp);
            a.mov(rbp, __qword_ptr[rsi]);
            a.call(innerFn);
            a.add(__qword_ptr[rsi], rax);
            a.pop(rbp);
            a.ret();
            a.Label(ref innerFn);
            a.add(rax, 3);
            a.lea(rdx, __[redirected]);
            a.mov(__qword_ptr[rsp], rdx); // return to 'redirected' instead
            a.ret();
            a.hlt();
            a.Label(ref redirected);
            a.add(rbx, rax);
            a.add(rbp, __qword_ptr[rsp]);  // the outer function's saved RBP
            a.pop(rbp);
            a.ret();
        });
        run.Run(300, dataBytes: 0x100);
        Assert.True(run.Executor.CompiledBlockRuns > 0);
        Assert.NotEqual(0ul, run.Tiered.Cpu.Gpr[3]);
    }

    /// <summary>
    /// A compiled loop patches the imm32 of an instruction later in its own block with a dword
    /// store (an inline form): the store must still invalidate, so each pass adds the new value.
    /// </summary>
    [Fact]
    public void Dword_store_into_the_running_block_invalidates_it()
    {
        const int iterations = 10;
        using var run = new Lockstep(a =>
        {
            var top = a.CreateLabel();
            var patch = a.CreateLabel();
            a.xor(ebx, ebx);
            a.mov(ecx, iterations);
            a.lea(rdi, __[patch]);
            a.Label(ref top);
            a.mov(__dword_ptr[rdi + 1], ecx); // imm32 of the MOV below ← ECX
            a.Label(ref patch);
            a.mov(eax, 100);
            a.add(ebx, eax);
            a.dec(ecx);
            a.jnz(top);
            a.hlt();
        });
        Assert.Equal(StopReason.Halted, run.Run(1000));
        ulong expected = 0;
        for (int c = iterations; c >= 1; c--) expected += (ulong)c; // each pass adds the ECX it stored
        Assert.Equal(expected, run.Tiered.Cpu.Gpr[JitVirt.Cpu.State.Gpr.Rbx]);
        Assert.True(run.Executor.CompiledBlockRuns > 0);
    }
}

static class RegisterWords
{
    public static AssemblerRegister16 GetWord(this AssemblerRegister32 r) => new(r.Value switch
    {
        Register.EAX => Register.AX, Register.EBX => Register.BX, Register.ECX => Register.CX, Register.EDX => Register.DX,
        Register.EDI => Register.DI, Register.EBP => Register.BP, _ => Register.R8W + (r.Value - Register.R8D),
    });
}
