namespace JitVirt.NativeOracle;

/// <summary>Indices into <see cref="OracleState.Gpr"/>: the register numbers of the ModRM/REX
/// encoding (SDM vol. 2A §2.1.5, Table 2-2 and §2.2.1.2).</summary>
public static class GprIndex
{
    public const int Rax = 0, Rcx = 1, Rdx = 2, Rbx = 3, Rsp = 4, Rbp = 5, Rsi = 6, Rdi = 7;
    public const int R8 = 8, R9 = 9, R10 = 10, R11 = 11, R12 = 12, R13 = 13, R14 = 14, R15 = 15;

    /// <summary>Number of general-purpose registers in 64-bit mode.</summary>
    public const int Count = 16;

    /// <summary>Number of general-purpose registers visible in compatibility mode.</summary>
    public const int LegacyCount = 8;

    private static readonly string[] Names =
        ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"];

    /// <summary>Lower-case 64-bit name of register <paramref name="index"/>.</summary>
    public static string Name(int index) => Names[index];

    /// <summary>Number of GPRs visible in <paramref name="mode"/>.</summary>
    public static int VisibleCount(ExecutionMode mode) => mode == ExecutionMode.Long64 ? Count : LegacyCount;
}
