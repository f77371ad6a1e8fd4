using System.Numerics;
using System.Runtime.CompilerServices;
using JitVirt.Cpu.State;

namespace JitVirt.Cpu.Semantics.Integer;

/// <summary>
/// The integer operations, written once for every width (T = byte, ushort, uint, ulong) and
/// called by the tier-0 handlers and by the IL tier. Each method takes the operand values, returns
/// the result and records the flags the SDM defines for it; none of them touches registers or
/// memory, so a caller can commit the result only after everything that can fault has run.
/// </summary>
public static class Alu
{
    // ------------------------------------------------------------------ width helpers

    /// <summary>Operand width in bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int BitsOf<T>() where T : unmanaged => Unsafe.SizeOf<T>() * 8;

    /// <summary>All-ones mask of the operand width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong MaskOf<T>() where T : unmanaged => Unsafe.SizeOf<T>() == 8 ? ulong.MaxValue : (1ul << BitsOf<T>()) - 1;

    /// <summary>The value sign-extended from the operand width to 64 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long SignExtend<T>(T value) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        int shift = 64 - BitsOf<T>();
        return (long)(ulong.CreateTruncating(value) << shift) >> shift;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static bool Msb(ulong v, int bits) => ((v >> (bits - 1)) & 1) != 0;

    /// <summary>SF, ZF and PF of a result of <paramref name="bits"/> bits, as RFLAGS bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong SzpFlags(ulong result, int bits)
    {
        ulong mask = bits == 64 ? ulong.MaxValue : (1ul << bits) - 1;
        result &= mask;
        ulong f = 0;
        if (result == 0) f |= Rflags.ZF;
        if (Msb(result, bits)) f |= Rflags.SF;
        if (Cpu.Parity(result)) f |= Rflags.PF;
        return f;
    }

    /// <summary>
    /// Eagerly writes the arithmetic flags in <paramref name="mask"/> (values in <paramref name="values"/>).
    /// A write of all six drops the lazy record without evaluating it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteFlags(Cpu cpu, ulong mask, ulong values)
    {
        if (mask == Rflags.Arithmetic)
        {
            cpu.LazyOp = FlagOp.None;
            cpu.RflagsStatic = (cpu.RflagsStatic & ~Rflags.Arithmetic) | (values & Rflags.Arithmetic);
        }
        else cpu.SetArithmeticFlags(mask, values);
    }

    // ------------------------------------------------------------------ add / subtract / logic

    /// <summary>ADD: DEST + SRC; OF SF ZF AF CF PF (SDM vol.2 ADD).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Add<T>(Cpu cpu, T a, T b) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        T r = a + b;
        cpu.SetFlagsAdd(a, b, r);
        return r;
    }

    /// <summary>ADC: DEST + SRC + CF. The lazy ADD record derives carry and overflow from the sign bits, which holds with a carry-in.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Adc<T>(Cpu cpu, T a, T b) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        T r = a + b;
        if (cpu.GetCarryFlag()) r++;
        cpu.SetFlagsAdd(a, b, r);
        return r;
    }

    /// <summary>SUB: DEST − SRC.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sub<T>(Cpu cpu, T a, T b) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        T r = a - b;
        cpu.SetFlagsSub(a, b, r);
        return r;
    }

    /// <summary>SBB: DEST − (SRC + CF).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sbb<T>(Cpu cpu, T a, T b) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        T r = a - b;
        if (cpu.GetCarryFlag()) r--;
        cpu.SetFlagsSub(a, b, r);
        return r;
    }

    /// <summary>CMP: flags of DEST − SRC, result discarded.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Cmp<T>(Cpu cpu, T a, T b) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
        => cpu.SetFlagsSub(a, b, a - b);

    /// <summary>AND: CF=OF=0, SF ZF PF from the result, AF undefined (0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T And<T>(Cpu cpu, T a, T b) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        T r = a & b;
        cpu.SetFlagsLogic(r);
        return r;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Or<T>(Cpu cpu, T a, T b) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        T r = a | b;
        cpu.SetFlagsLogic(r);
        return r;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Xor<T>(Cpu cpu, T a, T b) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        T r = a ^ b;
        cpu.SetFlagsLogic(r);
        return r;
    }

    /// <summary>TEST: flags of DEST AND SRC.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Test<T>(Cpu cpu, T a, T b) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
        => cpu.SetFlagsLogic(a & b);

    /// <summary>INC: DEST + 1, CF unchanged.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Inc<T>(Cpu cpu, T a) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        T r = a + T.One;
        cpu.SetFlagsInc(a, r);
        return r;
    }

    /// <summary>DEC: DEST − 1, CF unchanged.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Dec<T>(Cpu cpu, T a) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        T r = a - T.One;
        cpu.SetFlagsDec(a, r);
        return r;
    }

    /// <summary>NEG: 0 − DEST; CF = (DEST ≠ 0), the other flags as SUB.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Neg<T>(Cpu cpu, T a) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        T r = T.Zero - a;
        cpu.SetFlagsSub(T.Zero, a, r);
        return r;
    }

    /// <summary>NOT: one's complement, no flags.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Not<T>(T a) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T> => ~a;

    // ------------------------------------------------------------------ multiply / divide

    /// <summary>
    /// MUL: the double-width unsigned product of <paramref name="a"/> and <paramref name="b"/>;
    /// returns the low half, <paramref name="high"/> the upper half. CF=OF=(high ≠ 0); SF ZF AF PF
    /// are undefined (here: SF ZF PF of the low half, AF 0).
    /// </summary>
    public static T Mul<T>(Cpu cpu, T a, T b, out T high) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        int bits = BitsOf<T>();
        ulong lo, hi;
        if (bits == 64) hi = Math.BigMul(ulong.CreateTruncating(a), ulong.CreateTruncating(b), out lo);
        else
        {
            ulong p = ulong.CreateTruncating(a) * ulong.CreateTruncating(b);
            lo = p & MaskOf<T>();
            hi = p >> bits;
        }
        ulong f = SzpFlags(lo, bits);
        if (hi != 0) f |= Rflags.CF | Rflags.OF;
        WriteFlags(cpu, Rflags.Arithmetic, f);
        high = T.CreateTruncating(hi);
        return T.CreateTruncating(lo);
    }

    /// <summary>
    /// IMUL: the double-width signed product; returns the low half (which is the whole result of
    /// the 2- and 3-operand forms). CF=OF=1 when the product does not fit the low half sign-extended.
    /// </summary>
    public static T IMul<T>(Cpu cpu, T a, T b, out T high) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        int bits = BitsOf<T>();
        ulong lo, hi;
        bool overflow;
        if (bits == 64)
        {
            long h = Math.BigMul((long)ulong.CreateTruncating(a), (long)ulong.CreateTruncating(b), out long l);
            lo = (ulong)l; hi = (ulong)h;
            overflow = h != (l >> 63);
        }
        else
        {
            long p = SignExtend(a) * SignExtend(b);
            lo = (ulong)p & MaskOf<T>();
            hi = ((ulong)p >> bits) & MaskOf<T>();
            overflow = p != SignExtend(T.CreateTruncating(lo));
        }
        ulong f = SzpFlags(lo, bits);
        if (overflow) f |= Rflags.CF | Rflags.OF;
        WriteFlags(cpu, Rflags.Arithmetic, f);
        high = T.CreateTruncating(hi);
        return T.CreateTruncating(lo);
    }

    /// <summary>
    /// DIV: the unsigned double-width dividend <paramref name="high"/>:<paramref name="low"/>
    /// divided by <paramref name="divisor"/>. Raises #DE and returns false on a zero divisor or a
    /// quotient that does not fit the width. Flags are undefined; they are left unchanged.
    /// </summary>
    public static bool Div<T>(Cpu cpu, T high, T low, T divisor, out T quotient, out T remainder)
        where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        quotient = remainder = T.Zero;
        ulong d = ulong.CreateTruncating(divisor);
        ulong h = ulong.CreateTruncating(high), l = ulong.CreateTruncating(low);
        // The quotient fits the width exactly when the upper half is below the divisor.
        if (d == 0 || h >= d) { cpu.RaiseDivideError(); return false; }
        int bits = BitsOf<T>();
        if (bits == 64)
        {
            var n = new UInt128(h, l);
            quotient = T.CreateTruncating((ulong)(n / d));
            remainder = T.CreateTruncating((ulong)(n % d));
        }
        else
        {
            ulong n = (h << bits) | l;
            quotient = T.CreateTruncating(n / d);
            remainder = T.CreateTruncating(n % d);
        }
        return true;
    }

    /// <summary>
    /// IDIV: signed division of <paramref name="high"/>:<paramref name="low"/> by
    /// <paramref name="divisor"/>, quotient truncated toward zero, remainder with the dividend's
    /// sign. #DE on a zero divisor or when the quotient is outside the signed range (including
    /// the most negative dividend divided by −1).
    /// </summary>
    public static bool IDiv<T>(Cpu cpu, T high, T low, T divisor, out T quotient, out T remainder)
        where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        quotient = remainder = T.Zero;
        long d = SignExtend(divisor);
        if (d == 0) { cpu.RaiseDivideError(); return false; }
        int bits = BitsOf<T>();
        ulong h = ulong.CreateTruncating(high), l = ulong.CreateTruncating(low);
        bool negative;
        UInt128 qMagnitude, rMagnitude;
        if (bits == 64)
        {
            var n = new UInt128(h, l);
            bool nNeg = (h >> 63) != 0;
            UInt128 nMag = nNeg ? UInt128.Zero - n : n;
            ulong dMag = d < 0 ? (ulong)-d : (ulong)d; // |long.MinValue| = 2^63 as ulong
            qMagnitude = nMag / dMag;
            rMagnitude = nMag % dMag;
            negative = nNeg != d < 0;
            remainder = T.CreateTruncating((ulong)(nNeg ? UInt128.Zero - rMagnitude : rMagnitude));
        }
        else
        {
            // 2·bits ≤ 64: the dividend fits a long.
            long n = (long)(((h << bits) | l) << (64 - 2 * bits)) >> (64 - 2 * bits);
            ulong nMag = n < 0 ? (ulong)-n : (ulong)n;
            ulong dMag = d < 0 ? (ulong)-d : (ulong)d;
            qMagnitude = nMag / dMag;
            rMagnitude = nMag % dMag;
            negative = n < 0 != d < 0;
            remainder = T.CreateTruncating(n < 0 ? (ulong)-(long)(ulong)rMagnitude : (ulong)rMagnitude);
        }
        UInt128 limit = (UInt128)1 << (bits - 1); // |most negative|; the positive limit is one less
        if (negative ? qMagnitude > limit : qMagnitude >= limit)
        {
            remainder = T.Zero;
            cpu.RaiseDivideError();
            return false;
        }
        ulong q = (ulong)qMagnitude;
        quotient = T.CreateTruncating(negative ? (ulong)-(long)q : q);
        return true;
    }
}
