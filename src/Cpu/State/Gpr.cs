namespace JitVirt.Cpu.State;

/// <summary>General-purpose register numbers in encoding order (SDM vol.2 §2.1.5, Table 2-2).</summary>
public static class Gpr
{
    public const int Rax = 0, Rcx = 1, Rdx = 2, Rbx = 3, Rsp = 4, Rbp = 5, Rsi = 6, Rdi = 7;
    public const int R8 = 8, R9 = 9, R10 = 10, R11 = 11, R12 = 12, R13 = 13, R14 = 14, R15 = 15;
    public const int Count = 16;
}
