using Iced.Intel;
using JitVirt.Machine.Guests;

namespace JitVirt.TestGuests;

/// <summary>Endless guest loops that exercise one kind of work each (the bodies are <see cref="ComputeKernels"/>); benchmarks bound them by instruction count.</summary>
public static class ComputeGuests
{
    /// <summary>Integer compute: an xorshift/LCG mix in registers (ADD, XOR, SHL/SHR, IMUL, LEA, DEC, JNZ).</summary>
    public static void IntegerLoop(Assembler a)
    {
        var top = a.CreateLabel();
        ComputeKernels.IntegerSetup(a);
        a.Label(ref top);
        ComputeKernels.IntegerStep(a);
        a.jmp(top);
    }

    /// <summary>Memory copy: a 64 KiB buffer copied 8 bytes at a time with loads, stores and index arithmetic.</summary>
    public static void MemoryCopyLoop(Assembler a)
    {
        var outer = a.CreateLabel();
        a.Label(ref outer);
        ComputeKernels.CopyQwords(a, BareMetal.DataAddress, BareMetal.DataAddress + 0x10000, 0x10000 / 8);
        a.jmp(outer);
    }

    /// <summary>Branchy: data-dependent conditional branches on a pseudo-random sequence (CMP, TEST, Jcc, CMOV-free).</summary>
    public static void BranchyLoop(Assembler a)
    {
        var top = a.CreateLabel();
        ComputeKernels.BranchySetup(a);
        a.Label(ref top);
        ComputeKernels.BranchyStep(a);
        a.jmp(top);
    }
}
