using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Machine.Guests;

/// <summary>
/// The bodies of the compute workloads, emitted once here and wrapped twice: bounded with a checksum by
/// <see cref="LongModeComputeGuests"/> (the gate and the whole-machine benchmarks), endless by the tests'
/// bare-metal loops (micro-benchmarks, lockstep). Each body leaves its loop control to the caller.
/// </summary>
public static class ComputeKernels
{
    /// <summary>Integer mix state: RAX, RBX, RCX.</summary>
    public static void IntegerSetup(Assembler a)
    {
        a.mov(rax, 0x9E3779B97F4A7C15);
        a.mov(rbx, 12345);
        a.xor(ecx, ecx);
    }

    /// <summary>One xorshift/LCG step in registers (ADD, XOR, SHL/SHR, IMUL, LEA, SUB); clobbers RDX.</summary>
    public static void IntegerStep(Assembler a)
    {
        a.mov(rdx, rax);
        a.shl(rdx, 13);
        a.xor(rax, rdx);
        a.mov(rdx, rax);
        a.shr(rdx, 7);
        a.xor(rax, rdx);
        a.imul(rbx, rbx, 0x41C6);
        a.add(rbx, rax);
        a.lea(rcx, __[rcx + rbx * 2 + 1]);
        a.sub(rcx, rax);
    }

    /// <summary>Copies <paramref name="qwords"/> quadwords from <paramref name="source"/> to <paramref name="destination"/> 8 bytes at a time (RSI, RDI, RCX, RAX).</summary>
    public static void CopyQwords(Assembler a, ulong source, ulong destination, int qwords)
    {
        var copy = a.CreateLabel();
        a.mov(rsi, (long)source);
        a.mov(rdi, (long)destination);
        a.mov(ecx, qwords);
        a.Label(ref copy);
        a.mov(rax, __qword_ptr[rsi]);
        a.mov(__qword_ptr[rdi], rax);
        a.add(rsi, 8);
        a.add(rdi, 8);
        a.dec(ecx);
        a.jnz(copy);
    }

    /// <summary>Branchy walk state: EAX (the LCG), EBX, EDX.</summary>
    public static void BranchySetup(Assembler a)
    {
        a.mov(eax, 1);
        a.xor(ebx, ebx);
        a.xor(edx, edx);
    }

    /// <summary>One LCG step and two data-dependent branches (IMUL, TEST, CMP, Jcc; no CMOV).</summary>
    public static void BranchyStep(Assembler a)
    {
        var odd = a.CreateLabel();
        var join = a.CreateLabel();
        var small = a.CreateLabel();
        var next = a.CreateLabel();
        a.imul(eax, eax, 1103515245);
        a.add(eax, 12345);
        a.test(eax, 0x100);
        a.jnz(odd);
        a.add(ebx, 3);
        a.jmp(join);
        a.Label(ref odd);
        a.sub(ebx, 1);
        a.Label(ref join);
        a.cmp(ebx, 1000);
        a.jl(small);
        a.xor(ebx, ebx);
        a.inc(edx);
        a.jmp(next);
        a.Label(ref small);
        a.add(edx, 2);
        a.Label(ref next);
    }
}
