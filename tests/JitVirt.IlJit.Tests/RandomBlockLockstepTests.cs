using JitVirt.TestGuests;
using Iced.Intel;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.IlJit.Tests;

/// <summary>
/// Random straight-line blocks of the inline forms mixed with helper-called ones (IMUL, SHL/SHR,
/// PUSH/POP, memory MOVs, ADC), ending in a Jcc to a loop head, run in lockstep.
/// RSP and RSI (the data pointer) are never random destinations.
/// </summary>
public sealed class RandomBlockLockstepTests
{
    static readonly AssemblerRegister64[] R64 = [rax, rbx, rcx, rdx, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15];
    static readonly AssemblerRegister32[] R32 = [eax, ebx, ecx, edx, edi, ebp, r8d, r9d, r10d, r11d, r12d, r13d, r14d, r15d];

    public static TheoryData<int> Seeds()
    {
        var d = new TheoryData<int>();
        for (int s = 1; s <= 40; s++) d.Add(s);
        return d;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Random_block_matches_the_interpreter(int seed)
    {
        var rng = new Random(seed);
        int length = rng.Next(5, 60);
        var ops = new List<Action<Assembler>>();
        for (int n = 0; n < length; n++) ops.Add(RandomInstruction(rng));
        int cc = rng.Next(16);
        var initial = new ulong[16];
        for (int r = 0; r < 16; r++) initial[r] = rng.Next(4) == 0 ? (ulong)rng.Next(-3, 3) : (ulong)rng.NextInt64() ^ ((ulong)rng.Next() << 40);
        void Program(Assembler a)
        {
            var top = a.CreateLabel();
            var alt = a.CreateLabel();
            a.Label(ref top);
            foreach (var op in ops) op(a);
            a.dec(rsp); a.inc(rsp); // keeps a flag-writing pair before the branch
            JccTo(a, cc, alt);
            a.jmp(top);
            a.Label(ref alt);         // a second block, reached when the condition holds
            a.add(rbp, 0x55);
            a.xor(ebx, ebp);
            a.jmp(top);
        }
        using var run = new Lockstep(Program);
        run.SetRegisters(cpu =>
        {
            for (int r = 0; r < 16; r++) if (r is not (4 or 6)) cpu.Gpr[r] = initial[r];
            cpu.Gpr[6] = BareMetal.DataAddress + 0x800;
            cpu.SetRflags(0x2 | (initial[0] & 0x8D5)); // a random mix of CF PF AF ZF SF OF
        });
        run.Run(250, dataBytes: 0x2000);
        Assert.True(run.Executor.CompiledBlockRuns > 0);
    }

    static void JccTo(Assembler a, int cc, Label target)
    {
        switch (cc)
        {
            case 0: a.jo(target); break; case 1: a.jno(target); break; case 2: a.jb(target); break; case 3: a.jae(target); break;
            case 4: a.je(target); break; case 5: a.jne(target); break; case 6: a.jbe(target); break; case 7: a.ja(target); break;
            case 8: a.js(target); break; case 9: a.jns(target); break; case 10: a.jp(target); break; case 11: a.jnp(target); break;
            case 12: a.jl(target); break; case 13: a.jge(target); break; case 14: a.jle(target); break; default: a.jg(target); break;
        }
    }

    static Action<Assembler> RandomInstruction(Random rng)
    {
        int i = rng.Next(R64.Length), j = rng.Next(R64.Length);
        var q = R64[i]; var q2 = R64[j]; var d = R32[i]; var d2 = R32[j];
        int imm = rng.Next(3) switch { 0 => rng.Next(-128, 128), 1 => rng.Next(), _ => -rng.Next() };
        int disp = rng.Next(-0x100, 0x100) * 8;
        bool wide = rng.Next(2) == 0;
        byte count = (byte)rng.Next(64); // drawn here: the lambdas run once per machine and must emit the same bytes
        return rng.Next(22) switch
        {
            0 => wide ? a => a.mov(q, q2) : a => a.mov(d, d2),
            1 => wide ? a => a.mov(q, (long)imm * 0x10001) : a => a.mov(d, imm),
            2 => wide ? a => a.add(q, q2) : a => a.add(d, imm),
            3 => wide ? a => a.sub(q, imm) : a => a.sub(d, d2),
            4 => wide ? a => a.and(q, q2) : a => a.and(d, imm),
            5 => wide ? a => a.or(q, imm) : a => a.or(d, d2),
            6 => wide ? a => a.xor(q, q2) : a => a.xor(d, imm),
            7 => wide ? a => a.cmp(q, imm) : a => a.cmp(d, d2),
            8 => wide ? a => a.test(q, q2) : a => a.test(d, imm),
            9 => wide ? a => a.inc(q) : a => a.inc(d),
            10 => wide ? a => a.dec(q) : a => a.dec(d),
            11 => wide ? a => a.lea(q, __[q2 + R64[(i + 3) % R64.Length] * 4 + disp]) : a => a.lea(d, __[q2 + disp]),
            12 => wide ? a => a.add(q, imm) : a => a.sub(d, imm),
            13 => a => a.cmp(q, q2),
            // helper-called forms
            14 => wide ? a => a.imul(q, q2, imm) : a => a.imul(d, d2),
            15 => wide ? a => a.shl(q, count) : a => a.shr(d, (byte)(count & 31)),
            16 => a => { a.push(q); a.pop(q2); },
            17 => a => a.mov(__qword_ptr[rsi + disp], q),
            18 => a => a.mov(d, __dword_ptr[rsi + disp]),
            19 => wide ? a => a.adc(q, q2) : a => a.sbb(d, imm),
            20 => a => a.add(__qword_ptr[rsi + disp], q2),
            _ => a => a.lea(d, __[q2 + q * 8 + 5]),
        };
    }
}
