using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.TestGuests;

/// <summary>Endless guest loops that exercise one kind of work each; benchmarks bound them by instruction count.</summary>
public static class ComputeGuests
{
    /// <summary>Integer compute: an xorshift/LCG mix in registers (ADD, XOR, SHL/SHR, IMUL, LEA, DEC, JNZ).</summary>
    public static void IntegerLoop(Assembler a)
    {
        var top = a.CreateLabel();
        a.mov(rax, 0x9E3779B97F4A7C15);
        a.mov(rbx, 12345);
        a.xor(ecx, ecx);
        a.Label(ref top);
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
        a.jmp(top);
    }

    /// <summary>Memory copy: a 64 KiB buffer copied 8 bytes at a time with loads, stores and index arithmetic.</summary>
    public static void MemoryCopyLoop(Assembler a)
    {
        var outer = a.CreateLabel();
        var inner = a.CreateLabel();
        a.Label(ref outer);
        a.mov(rsi, (long)BareMetal.DataAddress);
        a.mov(rdi, (long)BareMetal.DataAddress + 0x10000);
        a.mov(ecx, 0x10000 / 8);
        a.Label(ref inner);
        a.mov(rax, __qword_ptr[rsi]);
        a.mov(__qword_ptr[rdi], rax);
        a.add(rsi, 8);
        a.add(rdi, 8);
        a.dec(ecx);
        a.jnz(inner);
        a.jmp(outer);
    }

    /// <summary>Branchy: data-dependent conditional branches on a pseudo-random sequence (CMP, TEST, Jcc, CMOV-free).</summary>
    public static void BranchyLoop(Assembler a)
    {
        var top = a.CreateLabel();
        var odd = a.CreateLabel();
        var join = a.CreateLabel();
        var small = a.CreateLabel();
        var join2 = a.CreateLabel();
        a.mov(eax, 1);
        a.xor(ebx, ebx);
        a.xor(edx, edx);
        a.Label(ref top);
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
        a.jmp(join2);
        a.Label(ref small);
        a.add(edx, 2);
        a.Label(ref join2);
        a.jmp(top);
    }
}
