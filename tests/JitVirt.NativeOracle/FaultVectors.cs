namespace JitVirt.NativeOracle;

/// <summary>Exception vector numbers (SDM vol. 3A §6.3.1, Table 6-1) as reported in
/// <see cref="OracleState.FaultVector"/>.</summary>
public static class FaultVectors
{
    /// <summary>No fault: the code ran to completion.</summary>
    public const int None = -1;
    /// <summary>#DE divide error (DIV/IDIV/AAM).</summary>
    public const int DivideError = 0;
    /// <summary>#DB debug exception.</summary>
    public const int Debug = 1;
    /// <summary>#BP breakpoint (INT3).</summary>
    public const int Breakpoint = 3;
    /// <summary>#OF overflow (INTO with OF = 1).</summary>
    public const int Overflow = 4;
    /// <summary>#BR BOUND range exceeded.</summary>
    public const int BoundRange = 5;
    /// <summary>#UD invalid opcode.</summary>
    public const int InvalidOpcode = 6;
    /// <summary>#SS stack-segment fault.</summary>
    public const int StackSegment = 12;
    /// <summary>#GP general protection.</summary>
    public const int GeneralProtection = 13;
    /// <summary>#PF page fault.</summary>
    public const int PageFault = 14;
    /// <summary>#MF x87 floating-point error.</summary>
    public const int X87FloatingPoint = 16;
    /// <summary>#AC alignment check.</summary>
    public const int AlignmentCheck = 17;
    /// <summary>#XM SIMD floating-point exception.</summary>
    public const int SimdFloatingPoint = 19;

    /// <summary>Mnemonic such as <c>#GP</c> for a vector number.</summary>
    public static string Name(int vector) => vector switch
    {
        None => "none",
        DivideError => "#DE",
        Debug => "#DB",
        Breakpoint => "#BP",
        Overflow => "#OF",
        BoundRange => "#BR",
        InvalidOpcode => "#UD",
        StackSegment => "#SS",
        GeneralProtection => "#GP",
        PageFault => "#PF",
        X87FloatingPoint => "#MF",
        AlignmentCheck => "#AC",
        SimdFloatingPoint => "#XM",
        _ => $"vector {vector}",
    };
}
