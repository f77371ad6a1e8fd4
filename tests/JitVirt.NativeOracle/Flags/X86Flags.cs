namespace JitVirt.NativeOracle;

/// <summary>RFLAGS bit masks (SDM vol. 1 §3.4.3, Figure 3-8).</summary>
public static class X86Flags
{
    /// <summary>Carry flag, bit 0.</summary>
    public const ulong CF = 1UL << 0;
    /// <summary>Bit 1 is reserved and always reads as 1.</summary>
    public const ulong Reserved1 = 1UL << 1;
    /// <summary>Parity flag, bit 2.</summary>
    public const ulong PF = 1UL << 2;
    /// <summary>Auxiliary carry flag, bit 4.</summary>
    public const ulong AF = 1UL << 4;
    /// <summary>Zero flag, bit 6.</summary>
    public const ulong ZF = 1UL << 6;
    /// <summary>Sign flag, bit 7.</summary>
    public const ulong SF = 1UL << 7;
    /// <summary>Trap flag, bit 8 (single-step).</summary>
    public const ulong TF = 1UL << 8;
    /// <summary>Interrupt enable flag, bit 9.</summary>
    public const ulong IF = 1UL << 9;
    /// <summary>Direction flag, bit 10.</summary>
    public const ulong DF = 1UL << 10;
    /// <summary>Overflow flag, bit 11.</summary>
    public const ulong OF = 1UL << 11;
    /// <summary>Alignment check flag, bit 18.</summary>
    public const ulong AC = 1UL << 18;

    /// <summary>The six status flags (SDM vol. 1 §3.4.3.1): OF SF ZF AF PF CF.</summary>
    public const ulong Arithmetic = OF | SF | ZF | AF | PF | CF;

    /// <summary>The flags a generated or caller-supplied input state may set: the status flags and DF.
    /// TF (would trap after the instruction) and AC (would make misaligned accesses fault) are kept
    /// clear; IF and IOPL cannot be changed at CPL 3.</summary>
    public const ulong GuestControlled = Arithmetic | DF;

    /// <summary>The flags an executor reports after execution: the status flags, DF, and TF/AC so that
    /// an emulator that sets them by mistake is caught. Everything else is system state.</summary>
    public const ulong Reported = Arithmetic | DF | TF | AC;

    /// <summary>Short textual form like <c>0A96[O-S-AP-]</c> for mismatch reports.</summary>
    public static string Describe(ulong rflags)
    {
        Span<char> s = stackalloc char[7];
        s[0] = (rflags & OF) != 0 ? 'O' : '-';
        s[1] = (rflags & DF) != 0 ? 'D' : '-';
        s[2] = (rflags & SF) != 0 ? 'S' : '-';
        s[3] = (rflags & ZF) != 0 ? 'Z' : '-';
        s[4] = (rflags & AF) != 0 ? 'A' : '-';
        s[5] = (rflags & PF) != 0 ? 'P' : '-';
        s[6] = (rflags & CF) != 0 ? 'C' : '-';
        return $"{rflags:X5}[{s}]";
    }
}
