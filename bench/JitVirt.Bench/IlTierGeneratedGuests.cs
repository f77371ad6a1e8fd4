using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Bench;

/// <summary>Generated guests for the IL tier's tiering benchmarks (threshold choice, cold code, chained transitions).</summary>
public static class IlTierGeneratedGuests
{
    /// <summary>Functions in <see cref="Mixed"/>; function f loops 2^(f mod 11) times (1 … 1024).</summary>
    public const int MixedFunctions = 400;

    /// <summary>
    /// A mix of hot, lukewarm and cold code, repeated forever: <see cref="MixedFunctions"/> small
    /// counted loops one after another (MOV ECX, n; then ADD, XOR, LEA, SUB, DEC, JNZ), with trip
    /// counts from 1 to 1024, so some blocks run once per pass and some thousands of times.
    /// </summary>
    public static void Mixed(Assembler a)
    {
        var outer = a.CreateLabel();
        a.Label(ref outer);
        for (int f = 0; f < MixedFunctions; f++)
        {
            var loop = a.CreateLabel();
            a.mov(ecx, 1 << (f % 11));
            a.Label(ref loop);
            a.add(eax, ecx);
            a.xor(ebx, eax);
            a.lea(edx, __[rax + rbx * 2]);
            a.sub(ebx, edx);
            a.dec(ecx);
            a.jnz(loop);
        }
        a.jmp(outer);
    }

    /// <summary>Instructions of one pass of <see cref="Mixed"/> (6 per iteration, one MOV per function, the closing JMP).</summary>
    public static long MixedPassInstructions()
    {
        long n = 1;
        for (int f = 0; f < MixedFunctions; f++) n += 1 + 6L * (1 << (f % 11));
        return n;
    }

    /// <summary>Blocks in <see cref="ColdStraightLine"/>.</summary>
    public const int ColdBlocks = 50_000;

    /// <summary>Instructions per block of <see cref="ColdStraightLine"/>.</summary>
    public const int ColdBlockInstructions = 3;

    /// <summary>
    /// <see cref="ColdBlocks"/> distinct blocks (ADD EAX, k; XOR EBX, EAX; JMP next), each run once,
    /// then a JMP to itself: cold code a tiered executor must not make slower.
    /// </summary>
    public static void ColdStraightLine(Assembler a)
    {
        var next = a.CreateLabel();
        for (int k = 0; k < ColdBlocks; k++)
        {
            next = a.CreateLabel();
            a.add(eax, k);
            a.xor(ebx, eax);
            a.jmp(next);
            a.Label(ref next);
        }
        a.jmp(next); // the last label marks this JMP: it jumps to itself
    }

    /// <summary>Blocks in <see cref="JumpCycle"/>.</summary>
    public const int CycleBlocks = 64;

    /// <summary>A cycle of <see cref="CycleBlocks"/> one-instruction blocks (JMP next) on one page: a run of it is nothing but block transitions.</summary>
    public static void JumpCycle(Assembler a)
    {
        var top = a.CreateLabel();
        a.Label(ref top);
        for (int k = 0; k < CycleBlocks - 1; k++)
        {
            var next = a.CreateLabel();
            a.jmp(next);
            a.nop(); // keep the blocks apart: the JMP does not fall through into the next one
            a.Label(ref next);
        }
        a.jmp(top);
    }

    /// <summary>
    /// One straight block of <paramref name="instructions"/> instructions (the last a JMP to the
    /// start): register ALU work, a shift, an IMUL, loads and stores — what a hot loop body holds.
    /// </summary>
    public static Action<Assembler> StraightBlock(int instructions) => a =>
    {
        var top = a.CreateLabel();
        a.Label(ref top);
        for (int k = 0; k < instructions - 1; k++)
        {
            switch (k % 8)
            {
                case 0: a.add(rax, rbx); break;
                case 1: a.xor(rbx, rcx); break;
                case 2: a.lea(rcx, __[rcx + rax * 2 + 1]); break;
                case 3: a.shl(rdx, 3); break;
                case 4: a.imul(rbx, rbx, 0x41C6); break;
                case 5: a.mov(__qword_ptr[rsp - 64], rax); break;
                case 6: a.mov(rdx, __qword_ptr[rsp - 64]); break;
                default: a.sub(rax, rdx); break;
            }
        }
        a.jmp(top);
    };
}
