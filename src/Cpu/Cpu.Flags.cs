using System.Numerics;
using System.Runtime.CompilerServices;
using JitVirt.Cpu.State;

namespace JitVirt.Cpu;

/// <summary>
/// Which operation last wrote the arithmetic flags, and at what width. The six status flags are
/// computed from the recorded operands and result only when something reads them (lazy flags).
/// Add covers ADD and ADC, Sub covers SUB, SBB, CMP and NEG: carry and overflow are derived from
/// the operand and result sign bits, which holds with a carry-in too.
/// </summary>
public enum FlagOp : byte
{
    /// <summary>All flags are in <see cref="Cpu.RflagsStatic"/>.</summary>
    None = 0,
    Add8 = 0x10, Add16, Add32, Add64,
    Sub8 = 0x20, Sub16, Sub32, Sub64,
    /// <summary>AND/OR/XOR/TEST: CF=OF=0, AF=0 (undefined in the SDM; 0 here), SF/ZF/PF from the result.</summary>
    Logic8 = 0x30, Logic16, Logic32, Logic64,
    /// <summary>INC/DEC: like ADD/SUB of 1, but CF stays as it was (it is kept in RflagsStatic).</summary>
    Inc8 = 0x40, Inc16, Inc32, Inc64,
    Dec8 = 0x50, Dec16, Dec32, Dec64,
}

public sealed partial class Cpu
{
    /// <summary>RFLAGS except the arithmetic flags that the lazy record covers.</summary>
    public ulong RflagsStatic;
    public FlagOp LazyOp;
    public ulong LazySrc1, LazySrc2, LazyResult;

    // ---- recording (called by instruction semantics) ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetFlagsAdd<T>(T src1, T src2, T result) where T : IBinaryInteger<T>, IUnsignedNumber<T>
    {
        LazyOp = (FlagOp)(0x10 + WidthCode<T>());
        LazySrc1 = ulong.CreateTruncating(src1); LazySrc2 = ulong.CreateTruncating(src2); LazyResult = ulong.CreateTruncating(result);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetFlagsSub<T>(T src1, T src2, T result) where T : IBinaryInteger<T>, IUnsignedNumber<T>
    {
        LazyOp = (FlagOp)(0x20 + WidthCode<T>());
        LazySrc1 = ulong.CreateTruncating(src1); LazySrc2 = ulong.CreateTruncating(src2); LazyResult = ulong.CreateTruncating(result);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetFlagsLogic<T>(T result) where T : IBinaryInteger<T>, IUnsignedNumber<T>
    {
        LazyOp = (FlagOp)(0x30 + WidthCode<T>());
        LazyResult = ulong.CreateTruncating(result);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetFlagsInc<T>(T src, T result) where T : IBinaryInteger<T>, IUnsignedNumber<T>
    {
        PreserveCarry();
        LazyOp = (FlagOp)(0x40 + WidthCode<T>());
        LazySrc1 = ulong.CreateTruncating(src); LazySrc2 = 1; LazyResult = ulong.CreateTruncating(result);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetFlagsDec<T>(T src, T result) where T : IBinaryInteger<T>, IUnsignedNumber<T>
    {
        PreserveCarry();
        LazyOp = (FlagOp)(0x50 + WidthCode<T>());
        LazySrc1 = ulong.CreateTruncating(src); LazySrc2 = 1; LazyResult = ulong.CreateTruncating(result);
    }

    /// <summary>Sets the arithmetic flags selected by <paramref name="mask"/> to <paramref name="values"/>, leaving the others as they are.</summary>
    public void SetArithmeticFlags(ulong mask, ulong values)
    {
        MaterializeFlags();
        RflagsStatic = (RflagsStatic & ~mask) | (values & mask);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static int WidthCode<T>() => Unsafe.SizeOf<T>() switch { 1 => 0, 2 => 1, 4 => 2, _ => 3 };

    /// <summary>
    /// Before an INC/DEC record: CF into <see cref="RflagsStatic"/>, the one flag the new record
    /// does not cover (<see cref="LazyCoveredMask"/>); the other five are the record's, so the
    /// old record need not be folded in.
    /// </summary>
    void PreserveCarry()
    {
        if (LazyOp == FlagOp.None) return;
        RflagsStatic = (RflagsStatic & ~Rflags.CF) | (GetCarryFlag() ? Rflags.CF : 0);
    }

    // ---- reading ----

    /// <summary>Folds the lazy record into <see cref="RflagsStatic"/>.</summary>
    public void MaterializeFlags()
    {
        if (LazyOp == FlagOp.None) return;
        ulong covered = LazyCoveredMask();
        ulong computed = ComputeLazyFlags();
        RflagsStatic = (RflagsStatic & ~covered) | (computed & covered);
        LazyOp = FlagOp.None;
    }

    ulong LazyCoveredMask() => ((int)LazyOp >> 4) is 4 or 5 ? Rflags.Arithmetic & ~Rflags.CF : Rflags.Arithmetic;

    /// <summary>The full RFLAGS value.</summary>
    public ulong GetRflags()
    {
        MaterializeFlags();
        return RflagsStatic;
    }

    /// <summary>Replaces RFLAGS (all bits; callers apply the privilege rules of POPF/IRET first).</summary>
    public void SetRflags(ulong value)
    {
        ulong oldVm = RflagsStatic & Rflags.VM;
        LazyOp = FlagOp.None;
        RflagsStatic = (value & Rflags.Writable) | Rflags.Reserved1;
        Pending |= PendingEvent.InterruptCheck;
        if ((RflagsStatic & Rflags.VM) != oldVm) UpdateMode();
    }

    public bool InterruptFlag => (RflagsStatic & Rflags.IF) != 0;
    public bool DirectionFlag => (RflagsStatic & Rflags.DF) != 0;
    public int Iopl => (int)(RflagsStatic >> Rflags.IoplShift) & 3;

    public bool GetCarryFlag()
    {
        int kind = (int)LazyOp >> 4;
        if (kind is 0 or 4 or 5) return (RflagsStatic & Rflags.CF) != 0;
        if (kind == 3) return false;
        int msb = MsbShift();
        ulong a = LazySrc1, b = LazySrc2, r = LazyResult;
        ulong carries = kind == 1 ? (a & b) | ((a | b) & ~r) : (~a & b) | ((~a | b) & r);
        return ((carries >> msb) & 1) != 0;
    }

    public bool GetZeroFlag() => LazyOp == FlagOp.None ? (RflagsStatic & Rflags.ZF) != 0 : (LazyResult & WidthMask()) == 0;
    public bool GetSignFlag() => LazyOp == FlagOp.None ? (RflagsStatic & Rflags.SF) != 0 : ((LazyResult >> MsbShift()) & 1) != 0;
    public bool GetParityFlag() => LazyOp == FlagOp.None ? (RflagsStatic & Rflags.PF) != 0 : Parity(LazyResult);

    public bool GetOverflowFlag()
    {
        int kind = (int)LazyOp >> 4;
        if (kind == 0) return (RflagsStatic & Rflags.OF) != 0;
        if (kind == 3) return false;
        ulong a = LazySrc1, b = LazySrc2, r = LazyResult;
        ulong o = kind is 1 or 4 ? (a ^ r) & (b ^ r) : (a ^ b) & (a ^ r);
        return ((o >> MsbShift()) & 1) != 0;
    }

    int MsbShift() => (8 << ((int)LazyOp & 3)) - 1;
    ulong WidthMask() => ((int)LazyOp & 3) == 3 ? ulong.MaxValue : (1ul << (8 << ((int)LazyOp & 3))) - 1;

    /// <summary>PF: set when the low byte of the result has an even number of 1 bits (SDM vol.1 §3.4.3.1).</summary>
    public static bool Parity(ulong result) => (BitOperations.PopCount(result & 0xFF) & 1) == 0;

    ulong ComputeLazyFlags()
    {
        int kind = (int)LazyOp >> 4;
        ulong r = LazyResult & WidthMask();
        ulong f = 0;
        if (GetCarryFlag()) f |= Rflags.CF;
        if (Parity(r)) f |= Rflags.PF;
        if (kind != 3 && (((LazySrc1 ^ LazySrc2 ^ LazyResult) >> 4) & 1) != 0) f |= Rflags.AF;
        if (r == 0) f |= Rflags.ZF;
        if (((r >> MsbShift()) & 1) != 0) f |= Rflags.SF;
        if (GetOverflowFlag()) f |= Rflags.OF;
        return f;
    }

    /// <summary>Evaluates a condition code (the low 4 bits of Jcc/SETcc/CMOVcc; SDM vol.1 Appendix B, Table B-1).</summary>
    public bool EvaluateCondition(int cc)
    {
        bool r = (cc >> 1) switch
        {
            0 => GetOverflowFlag(),                          // O
            1 => GetCarryFlag(),                             // B/C
            2 => GetZeroFlag(),                              // E/Z
            3 => GetCarryFlag() || GetZeroFlag(),            // BE
            4 => GetSignFlag(),                              // S
            5 => GetParityFlag(),                            // P
            6 => GetSignFlag() != GetOverflowFlag(),         // L
            _ => GetZeroFlag() || GetSignFlag() != GetOverflowFlag(), // LE
        };
        return (cc & 1) == 0 ? r : !r;
    }
}
