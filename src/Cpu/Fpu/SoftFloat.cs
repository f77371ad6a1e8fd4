using System.Numerics;
using System.Runtime.CompilerServices;

namespace JitVirt.Cpu.Fpu;

/// <summary>
/// IEEE 754 exception flags in the bit positions shared by MXCSR bits 5:0 and the x87 status word
/// bits 5:0 (SDM vol.1 §4.9.1, §8.1.3, §10.2.3): IE, DE, ZE, OE, UE, PE.
/// </summary>
[Flags]
public enum FpFlags : byte
{
    None = 0,
    Invalid = 1,
    Denormal = 2,
    ZeroDivide = 4,
    Overflow = 8,
    Underflow = 16,
    Precision = 32,
    All = 63,
}

/// <summary>Rounding control as encoded in MXCSR.RC and FCW.RC (SDM vol.1 §4.8.4, Table 4-8).</summary>
public enum RoundingMode : byte
{
    Nearest = 0,
    Down = 1,
    Up = 2,
    TowardZero = 3,
}

public enum FpClass : byte { Zero, Normal, Infinity, QNaN, SNaN, Unsupported }

/// <summary>
/// A binary floating-point format: significand precision in bits (including the integer bit) and
/// the normal exponent range. The x87 precision-control settings are the extended exponent range
/// with a 24- or 53-bit significand (SDM vol.1 §8.1.5.2).
/// </summary>
public readonly record struct FpFormat(int Precision, int Emin, int Emax)
{
    public static readonly FpFormat Single = new(24, -126, 127);
    public static readonly FpFormat Double = new(53, -1022, 1023);
    public static readonly FpFormat Extended = new(64, -16382, 16383);
    public static readonly FpFormat ExtendedPc24 = new(24, -16382, 16383);
    public static readonly FpFormat ExtendedPc53 = new(53, -16382, 16383);

    public int Bias => Emax;
    public int MaxBiasedExponent => 2 * Emax + 1;
}

/// <summary>
/// An unpacked operand: value = Sig × 2^(Exp−63) with bit 63 of Sig set for <see cref="FpClass.Normal"/>
/// (denormals are normalised here). For NaNs Sig holds the integer bit, the quiet bit (62) and the
/// payload left-aligned, so conversions between formats keep the payload's high bits as hardware does.
/// </summary>
public struct FpValue
{
    public bool Sign;
    public int Exp;
    public ulong Sig;
    public FpClass Class;

    public readonly bool IsNaN => Class is FpClass.QNaN or FpClass.SNaN;
    public readonly bool IsZero => Class == FpClass.Zero;
    public readonly bool IsInf => Class == FpClass.Infinity;
}

/// <summary>A result in a target format before packing: biased exponent and left-aligned significand (explicit integer bit at 63).</summary>
public struct FpBits
{
    public bool Sign;
    public int BiasedExp;
    public ulong Sig64;
}

/// <summary>The environment of one operation: rounding, DAZ/FTZ, masks, the flags raised so far.</summary>
public struct FpEnv
{
    public RoundingMode Rounding;
    /// <summary>MXCSR.DAZ: denormal source operands are read as zeros of the same sign, without DE.</summary>
    public bool Daz;
    /// <summary>MXCSR.FTZ: tiny results become zeros when underflow is masked (with UE and PE set).</summary>
    public bool Ftz;
    /// <summary>x87 rules: NaN selection by larger significand, and with OE/UE unmasked the exponent is wrapped by 24576 instead of saturating/denormalising (SDM vol.1 §8.5.4, §8.5.5).</summary>
    public bool X87;
    public FpFlags Masks;
    public FpFlags Flags;
    /// <summary>The last rounding increased the magnitude (x87 reports it in C1, SDM vol.1 §8.1.3.3).</summary>
    public bool RoundedUp;

    public static FpEnv Sse(uint mxcsr) => new()
    {
        Rounding = (RoundingMode)((mxcsr >> 13) & 3),
        Daz = (mxcsr & 0x40) != 0,
        Ftz = (mxcsr & 0x8000) != 0,
        Masks = (FpFlags)((mxcsr >> 7) & 0x3F),
    };
}

/// <summary>
/// Software IEEE 754 arithmetic with exact x86 exception flags, shared by the x87 unit (80-bit
/// extended, any precision control) and SSE/SSE2 (binary32/binary64 with MXCSR rounding, DAZ and
/// FTZ). Results are correctly rounded: every operation forms the exact result (or a 128-bit
/// truncation with a sticky bit) and rounds once in <see cref="RoundPack"/>. Tininess is detected
/// after rounding, as on x86 (SDM vol.1 §4.9.1.5).
/// </summary>
public static class SoftFloat
{
    public const uint DefaultNaN32 = 0xFFC0_0000;
    public const ulong DefaultNaN64 = 0xFFF8_0000_0000_0000;
    public const ulong QuietBit = 1ul << 62;
    public const ulong IntegerBit = 1ul << 63;

    // ------------------------------------------------------------------ unpacking

    public static FpValue Unpack32(uint bits, ref FpEnv env)
    {
        var v = new FpValue { Sign = (bits >> 31) != 0 };
        int e = (int)((bits >> 23) & 0xFF);
        ulong f = bits & 0x7FFFFF;
        if (e == 0xFF)
        {
            if (f == 0) v.Class = FpClass.Infinity;
            else { v.Sig = IntegerBit | (f << 40); v.Class = (f & 0x400000) != 0 ? FpClass.QNaN : FpClass.SNaN; }
            return v;
        }
        if (e == 0)
        {
            if (f == 0 || env.Daz) { v.Class = FpClass.Zero; return v; }
            env.Flags |= FpFlags.Denormal;
            int lz = BitOperations.LeadingZeroCount(f);
            v.Sig = f << lz;
            v.Exp = -126 - (lz - 40);
            v.Class = FpClass.Normal;
            return v;
        }
        v.Sig = (f | 0x800000) << 40;
        v.Exp = e - 127;
        v.Class = FpClass.Normal;
        return v;
    }

    public static FpValue Unpack64(ulong bits, ref FpEnv env)
    {
        var v = new FpValue { Sign = (bits >> 63) != 0 };
        int e = (int)((bits >> 52) & 0x7FF);
        ulong f = bits & 0xF_FFFF_FFFF_FFFF;
        if (e == 0x7FF)
        {
            if (f == 0) v.Class = FpClass.Infinity;
            else { v.Sig = IntegerBit | (f << 11); v.Class = (f & (1ul << 51)) != 0 ? FpClass.QNaN : FpClass.SNaN; }
            return v;
        }
        if (e == 0)
        {
            if (f == 0 || env.Daz) { v.Class = FpClass.Zero; return v; }
            env.Flags |= FpFlags.Denormal;
            int lz = BitOperations.LeadingZeroCount(f);
            v.Sig = f << lz;
            v.Exp = -1022 - (lz - 11);
            v.Class = FpClass.Normal;
            return v;
        }
        v.Sig = (f | (1ul << 52)) << 11;
        v.Exp = e - 1023;
        v.Class = FpClass.Normal;
        return v;
    }

    /// <summary>
    /// Unpacks an 80-bit value (SDM vol.1 §8.2.2, Table 8-3). Denormals and pseudo-denormals raise
    /// DE; unnormals, pseudo-NaNs and pseudo-infinities are <see cref="FpClass.Unsupported"/>
    /// (invalid-operation operands since the 387).
    /// </summary>
    public static FpValue Unpack80(ushort signExp, ulong sig, ref FpEnv env)
    {
        var v = new FpValue { Sign = (signExp >> 15) != 0 };
        int e = signExp & 0x7FFF;
        if (e == 0x7FFF)
        {
            if ((sig & IntegerBit) == 0) { v.Class = FpClass.Unsupported; return v; }
            if ((sig << 1) == 0) { v.Class = FpClass.Infinity; return v; }
            v.Sig = sig;
            v.Class = (sig & QuietBit) != 0 ? FpClass.QNaN : FpClass.SNaN;
            return v;
        }
        if (e == 0)
        {
            if (sig == 0) { v.Class = FpClass.Zero; return v; }
            env.Flags |= FpFlags.Denormal;
            int lz = BitOperations.LeadingZeroCount(sig);
            v.Sig = sig << lz;
            v.Exp = -16382 - lz;
            v.Class = FpClass.Normal;
            return v;
        }
        if ((sig & IntegerBit) == 0) { v.Class = FpClass.Unsupported; return v; }
        v.Sig = sig;
        v.Exp = e - 16383;
        v.Class = FpClass.Normal;
        return v;
    }

    // ------------------------------------------------------------------ packing

    public static uint Pack32(in FpBits r) =>
        (r.Sign ? 0x8000_0000u : 0) | ((uint)r.BiasedExp << 23) | (uint)((r.Sig64 >> 40) & 0x7FFFFF);

    public static ulong Pack64(in FpBits r) =>
        (r.Sign ? 1ul << 63 : 0) | ((ulong)r.BiasedExp << 52) | ((r.Sig64 >> 11) & 0xF_FFFF_FFFF_FFFF);

    public static ushort PackSignExp80(in FpBits r) => (ushort)((r.Sign ? 0x8000 : 0) | r.BiasedExp);

    public static FpBits Zero(bool sign) => new() { Sign = sign };
    public static FpBits Infinity(bool sign, FpFormat f) => new() { Sign = sign, BiasedExp = f.MaxBiasedExponent, Sig64 = IntegerBit };
    /// <summary>The QNaN floating-point indefinite: sign 1, quiet bit only (SDM vol.1 §4.8.3.7).</summary>
    public static FpBits DefaultNaN(FpFormat f) => new() { Sign = true, BiasedExp = f.MaxBiasedExponent, Sig64 = IntegerBit | QuietBit };
    public static FpBits QuietNaN(in FpValue v, FpFormat f) => new() { Sign = v.Sign, BiasedExp = f.MaxBiasedExponent, Sig64 = v.Sig | IntegerBit | QuietBit };

    /// <summary>Repacks a finite or special value exactly (no rounding; the caller knows it fits).</summary>
    public static FpBits Exact(in FpValue v, FpFormat f, ref FpEnv env)
    {
        switch (v.Class)
        {
            case FpClass.Zero: return Zero(v.Sign);
            case FpClass.Infinity: return Infinity(v.Sign, f);
            case FpClass.QNaN: case FpClass.SNaN: return QuietNaN(v, f);
            case FpClass.Unsupported: return DefaultNaN(f);
        }
        return RoundPack(v.Sign, v.Exp, (UInt128)v.Sig << 64, f, ref env);
    }

    /// <summary>
    /// Rounds the exact value Sig × 2^(Exp−127) (Sig normalised to bit 127; a sticky bit may be
    /// jammed into bit 0) to <paramref name="f"/> under <paramref name="env"/>, raising PE, UE, OE.
    /// </summary>
    public static FpBits RoundPack(bool sign, int exp, UInt128 sig, FpFormat f, ref FpEnv env)
    {
        env.RoundedUp = false;
        if (sig == UInt128.Zero) return Zero(sign);
        int p = f.Precision;
        bool underflowMasked = (env.Masks & FpFlags.Underflow) != 0;

        // Tininess after rounding: round to p bits with an unbounded exponent and look at the exponent.
        bool tiny = false;
        if (exp < f.Emin)
        {
            ulong q0 = RoundBits(sig, p, sign, env.Rounding, out _, out bool carry0, out _);
            int e0 = exp + (carry0 ? 1 : 0);
            tiny = e0 < f.Emin || q0 == 0;
        }

        // Unmasked underflow: the result is rounded normalised (x87 then wraps the exponent; SSE discards it).
        bool denormalise = tiny && underflowMasked;
        int keep = denormalise ? p - (f.Emin - exp) : p;
        ulong q = RoundBits(sig, keep, sign, env.Rounding, out bool inexact, out bool carry, out env.RoundedUp);
        // q now holds up to keep+1 bits; the value is q × 2^(lsb) where lsb = exp − keep + 1.
        int lsbExp = exp - keep + 1;
        if (carry && keep == 64) lsbExp++; // RoundBits returned 2^63 for 2^64
        if (inexact) env.Flags |= FpFlags.Precision;

        if (tiny)
        {
            if (env.Ftz && underflowMasked)
            {
                env.Flags |= FpFlags.Underflow | FpFlags.Precision;
                return Zero(sign);
            }
            if (inexact || !underflowMasked) env.Flags |= FpFlags.Underflow;
        }

        if (q == 0) return Zero(sign);
        int m = 63 - BitOperations.LeadingZeroCount(q);
        int e = lsbExp + m;
        ulong sig64 = q << (63 - m);

        if (tiny && denormalise && e < f.Emin)
            return new FpBits { Sign = sign, BiasedExp = 0, Sig64 = q << (64 - p) };

        if (tiny && !denormalise)
        {
            // x87 with UE unmasked: deliver the normalised result with the exponent biased up by 24576 (SDM vol.1 §8.5.5).
            // A result too tiny even for that (only FSCALE gets there) is delivered as a signed zero,
            // inexact (observed on AMD Zen 4).
            if (e + f.Bias + 24576 <= 0) { env.Flags |= FpFlags.Precision; env.RoundedUp = false; return Zero(sign); }
            return new FpBits { Sign = sign, BiasedExp = e + f.Bias + 24576, Sig64 = sig64 };
        }

        if (e > f.Emax)
        {
            env.Flags |= FpFlags.Overflow;
            if ((env.Masks & FpFlags.Overflow) == 0)
            {
                // Too large even for the wrapped exponent (only FSCALE gets there): an infinity,
                // inexact and rounded up (observed on AMD Zen 4).
                if (e + f.Bias - 24576 >= f.MaxBiasedExponent) { env.Flags |= FpFlags.Precision; env.RoundedUp = true; return Infinity(sign, f); }
                return new FpBits { Sign = sign, BiasedExp = e + f.Bias - 24576, Sig64 = sig64 };
            }
            env.Flags |= FpFlags.Precision;
            bool toInf = env.Rounding switch
            {
                RoundingMode.Nearest => true,
                RoundingMode.TowardZero => false,
                RoundingMode.Up => !sign,
                _ => sign,
            };
            env.RoundedUp = toInf;
            if (toInf) return Infinity(sign, f);
            return new FpBits { Sign = sign, BiasedExp = f.MaxBiasedExponent - 1, Sig64 = ~0ul << (64 - p) };
        }
        return new FpBits { Sign = sign, BiasedExp = e + f.Bias, Sig64 = sig64 };
    }

    /// <summary>Keeps the top <paramref name="keep"/> bits of a 128-bit significand, rounded; <paramref name="carry"/> when rounding overflowed into bit keep.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static ulong RoundBits(UInt128 sig, int keep, bool sign, RoundingMode rm, out bool inexact, out bool carry, out bool increased)
    {
        ulong q;
        bool round, sticky;
        if (keep <= -1) { q = 0; round = false; sticky = sig != UInt128.Zero; }
        else if (keep == 0) { q = 0; round = (sig >> 127) != UInt128.Zero; sticky = (sig << 1) != UInt128.Zero; }
        else
        {
            int drop = 128 - keep;
            q = (ulong)(sig >> drop);
            UInt128 rem = sig << keep;
            round = (rem >> 127) != UInt128.Zero;
            sticky = (rem << 1) != UInt128.Zero;
        }
        inexact = round || sticky;
        bool inc = rm switch
        {
            RoundingMode.Nearest => round && (sticky || (q & 1) != 0),
            RoundingMode.Up => !sign && inexact,
            RoundingMode.Down => sign && inexact,
            _ => false,
        };
        carry = false;
        increased = inc;
        if (inc)
        {
            if (keep == 64 && q == ulong.MaxValue) { carry = true; return 1ul << 63; }
            q++;
            if (keep <= 0 || (keep < 64 && q == 1ul << keep)) carry = keep >= 0;
        }
        return q;
    }

    // ------------------------------------------------------------------ NaN handling

    /// <summary>
    /// The NaN result of a two-operand operation with at least one NaN operand (SDM vol.1 §4.8.3.5,
    /// Table 4-7). SSE: the first source if it is a NaN, else the second, made quiet. x87: the QNaN
    /// if one is an SNaN; of two NaNs of the same kind the larger significand. An SNaN raises IE.
    /// </summary>
    public static FpBits PropagateNaN(in FpValue a, in FpValue b, FpFormat f, ref FpEnv env)
    {
        if (a.Class == FpClass.SNaN || b.Class == FpClass.SNaN) env.Flags |= FpFlags.Invalid;
        if (!env.X87)
            return QuietNaN(a.IsNaN ? a : b, f);
        if (a.IsNaN && b.IsNaN)
        {
            if (a.Class != b.Class) return QuietNaN(a.Class == FpClass.QNaN ? a : b, f);
            ulong sa = a.Sig | QuietBit, sb = b.Sig | QuietBit;
            if (sa != sb) return QuietNaN(sa > sb ? a : b, f);
            return QuietNaN(!a.Sign ? a : b, f);
        }
        return QuietNaN(a.IsNaN ? a : b, f);
    }

    static bool AnyNaNOrUnsupported(in FpValue a, in FpValue b) =>
        a.Class >= FpClass.QNaN || b.Class >= FpClass.QNaN;

    /// <summary>Handles NaN and unsupported operands; returns false when the operation must go on.</summary>
    static bool SpecialOperands(in FpValue a, in FpValue b, FpFormat f, ref FpEnv env, out FpBits r)
    {
        if (a.Class == FpClass.Unsupported || b.Class == FpClass.Unsupported)
        {
            env.Flags |= FpFlags.Invalid;
            r = DefaultNaN(f);
            return true;
        }
        if (a.IsNaN || b.IsNaN) { r = PropagateNaN(a, b, f, ref env); return true; }
        r = default;
        return false;
    }

    static FpBits Invalid(FpFormat f, ref FpEnv env)
    {
        env.Flags |= FpFlags.Invalid;
        return DefaultNaN(f);
    }

    // ------------------------------------------------------------------ arithmetic

    public static FpBits Add(FpValue a, FpValue b, bool subtract, FpFormat f, ref FpEnv env)
    {
        if (AnyNaNOrUnsupported(a, b) && SpecialOperands(a, b, f, ref env, out var nan)) return nan;
        if (subtract) b.Sign = !b.Sign;
        if (a.IsInf || b.IsInf)
        {
            if (a.IsInf && b.IsInf && a.Sign != b.Sign) return Invalid(f, ref env);
            return Infinity(a.IsInf ? a.Sign : b.Sign, f);
        }
        if (a.IsZero && b.IsZero)
        {
            bool s = a.Sign == b.Sign ? a.Sign : env.Rounding == RoundingMode.Down;
            return Zero(s);
        }
        if (b.IsZero) return RoundPack(a.Sign, a.Exp, (UInt128)a.Sig << 64, f, ref env);
        if (a.IsZero) return RoundPack(b.Sign, b.Exp, (UInt128)b.Sig << 64, f, ref env);

        // Both finite non-zero. Align at bit 126 (bit 127 takes the carry), jamming shifted-out bits.
        if (a.Exp < b.Exp || (a.Exp == b.Exp && a.Sig < b.Sig)) (a, b) = (b, a);
        UInt128 x = (UInt128)a.Sig << 63;
        UInt128 y = ShiftRightJam((UInt128)b.Sig << 63, a.Exp - b.Exp);
        int exp = a.Exp + 1; // exponent of bit 127
        UInt128 sum;
        bool sign = a.Sign;
        if (a.Sign == b.Sign) sum = x + y;
        else
        {
            sum = x - y;
            if (sum == UInt128.Zero) return Zero(env.Rounding == RoundingMode.Down);
        }
        int lz = LeadingZeros(sum);
        return RoundPack(sign, exp - lz, sum << lz, f, ref env);
    }

    public static FpBits Mul(in FpValue a, in FpValue b, FpFormat f, ref FpEnv env)
    {
        if (AnyNaNOrUnsupported(a, b) && SpecialOperands(a, b, f, ref env, out var nan)) return nan;
        bool sign = a.Sign ^ b.Sign;
        if (a.IsInf || b.IsInf)
        {
            if (a.IsZero || b.IsZero) return Invalid(f, ref env);
            return Infinity(sign, f);
        }
        if (a.IsZero || b.IsZero) return Zero(sign);
        UInt128 prod = (UInt128)a.Sig * b.Sig;
        int exp = a.Exp + b.Exp + 1;
        if ((prod >> 127) == UInt128.Zero) { prod <<= 1; exp--; }
        return RoundPack(sign, exp, prod, f, ref env);
    }

    public static FpBits Div(in FpValue a, in FpValue b, FpFormat f, ref FpEnv env)
    {
        if (AnyNaNOrUnsupported(a, b) && SpecialOperands(a, b, f, ref env, out var nan)) return nan;
        bool sign = a.Sign ^ b.Sign;
        if (a.IsInf)
        {
            if (b.IsInf) return Invalid(f, ref env);
            return Infinity(sign, f);
        }
        if (b.IsInf) return Zero(sign);
        if (b.IsZero)
        {
            if (a.IsZero) return Invalid(f, ref env);
            env.Flags |= FpFlags.ZeroDivide;
            return Infinity(sign, f);
        }
        if (a.IsZero) return Zero(sign);
        UInt128 q = DivideSignificands(a.Sig, b.Sig, out bool ge, out bool sticky);
        int exp = a.Exp - b.Exp - (ge ? 0 : 1);
        if (sticky) q |= UInt128.One;
        return RoundPack(sign, exp, q, f, ref env);
    }

    /// <summary>128-bit quotient of two normalised significands with msb at bit 127.</summary>
    static UInt128 DivideSignificands(ulong a, ulong b, out bool aGeB, out bool sticky)
    {
        aGeB = a >= b;
        UInt128 num = aGeB ? (UInt128)a << 63 : (UInt128)a << 64;
        UInt128 q1 = num / b;
        UInt128 r1 = num - q1 * b;
        UInt128 num2 = r1 << 64;
        UInt128 q2 = num2 / b;
        UInt128 r2 = num2 - q2 * b;
        sticky = r2 != UInt128.Zero;
        return (q1 << 64) | q2;
    }

    public static FpBits Sqrt(in FpValue a, FpFormat f, ref FpEnv env)
    {
        if (a.Class == FpClass.Unsupported) return Invalid(f, ref env);
        if (a.IsNaN) return PropagateNaN(a, a, f, ref env);
        if (a.IsZero) return Zero(a.Sign);
        if (a.Sign) return Invalid(f, ref env);
        if (a.IsInf) return Infinity(false, f);
        // value = Sig × 2^(Exp−63); take R = Sig × 2^s with (Exp−63−s) even and enough root bits.
        int k = a.Exp - 63;
        int s = (k & 1) == 0 ? 128 : 129;
        int n = 64 + s;
        if ((n & 1) != 0) n++;
        UInt128 rem = UInt128.Zero, root = UInt128.Zero;
        for (int j = n / 2 - 1; j >= 0; j--)
        {
            int hi = 2 * j + 1 - s, lo = 2 * j - s;
            ulong pair = 0;
            if (hi >= 0 && hi < 64) pair |= ((a.Sig >> hi) & 1) << 1;
            if (lo >= 0 && lo < 64) pair |= (a.Sig >> lo) & 1;
            rem = (rem << 2) | pair;
            UInt128 trial = (root << 2) | UInt128.One;
            if (rem >= trial) { rem -= trial; root = (root << 1) | UInt128.One; }
            else root <<= 1;
        }
        int lz = LeadingZeros(root);
        UInt128 sig = root << lz;
        if (rem != UInt128.Zero) sig |= UInt128.One;
        int exp = (127 - lz) + (k - s) / 2;
        return RoundPack(false, exp, sig, f, ref env);
    }

    /// <summary>Ordering of two operands for compares: -1, 0, 1, or 2 for unordered. Raises IE for SNaN, or for any NaN when <paramref name="signaling"/>.</summary>
    public static int Compare(in FpValue a, in FpValue b, bool signaling, ref FpEnv env)
    {
        if (a.Class >= FpClass.QNaN || b.Class >= FpClass.QNaN)
        {
            if (signaling || a.Class is FpClass.SNaN or FpClass.Unsupported || b.Class is FpClass.SNaN or FpClass.Unsupported)
                env.Flags |= FpFlags.Invalid;
            return 2;
        }
        int ka = OrderKey(a), kb = OrderKey(b);
        if (a.IsZero && b.IsZero) return 0;
        if (a.Sign != b.Sign) return a.Sign ? -1 : 1;
        int mag;
        if (a.Class != b.Class || a.IsZero) mag = ka.CompareTo(kb);
        else if (a.IsInf) mag = 0;
        else mag = a.Exp != b.Exp ? a.Exp.CompareTo(b.Exp) : a.Sig.CompareTo(b.Sig);
        return a.Sign ? -mag : mag;
    }

    static int OrderKey(in FpValue v) => v.Class switch { FpClass.Zero => 0, FpClass.Normal => 1, _ => 2 };

    // ------------------------------------------------------------------ conversions

    /// <summary>Rounds a signed 64-bit integer to <paramref name="f"/>.</summary>
    public static FpBits FromInt64(long value, FpFormat f, ref FpEnv env)
    {
        if (value == 0) return Zero(false);
        bool sign = value < 0;
        ulong mag = sign ? (ulong)-value : (ulong)value;
        int lz = BitOperations.LeadingZeroCount(mag);
        return RoundPack(sign, 63 - lz, (UInt128)(mag << lz) << 64, f, ref env);
    }

    /// <summary>
    /// Converts to a signed integer of <paramref name="bits"/> bits with <paramref name="rm"/>; NaN,
    /// infinity and out-of-range values raise IE and give the integer indefinite (only the sign
    /// bit set, SDM vol.1 §4.8.3.7); inexact results raise PE.
    /// </summary>
    public static long ToInt(in FpValue v, int bits, RoundingMode rm, ref FpEnv env)
    {
        long indefinite = bits == 64 ? long.MinValue : -(1L << (bits - 1));
        if (v.Class is FpClass.QNaN or FpClass.SNaN or FpClass.Infinity or FpClass.Unsupported)
        {
            env.Flags |= FpFlags.Invalid;
            return indefinite;
        }
        if (v.IsZero) return 0;
        if (v.Exp >= 64) { env.Flags |= FpFlags.Invalid; return indefinite; }
        UInt128 sig = (UInt128)v.Sig << 64;
        // Integer part: keep v.Exp+1 bits.
        ulong q = RoundBits(sig, v.Exp + 1, v.Sign, rm, out bool inexact, out bool carry, out env.RoundedUp);
        // q may equal 2^(Exp+1) after a carry; with Exp = 63 and a carry RoundBits returned 2^63 with carry set.
        UInt128 mag = carry && v.Exp == 63 ? (UInt128)1 << 64 : q;
        UInt128 limit = v.Sign ? (UInt128)1 << (bits - 1) : ((UInt128)1 << (bits - 1)) - 1;
        if (mag > limit) { env.Flags |= FpFlags.Invalid; return indefinite; }
        if (inexact) env.Flags |= FpFlags.Precision;
        long r = (long)(ulong)mag;
        return v.Sign ? -r : r;
    }

    /// <summary>Rounds to an integral value in the same format (FRNDINT, ROUNDSS semantics).</summary>
    public static FpBits RoundToIntegral(in FpValue v, FpFormat f, RoundingMode rm, ref FpEnv env)
    {
        if (v.Class == FpClass.Unsupported) return Invalid(f, ref env);
        if (v.IsNaN) return PropagateNaN(v, v, f, ref env);
        if (v.IsZero || v.IsInf || v.Exp >= 63) return Exact(v, f, ref env);
        UInt128 sig = (UInt128)v.Sig << 64;
        ulong q = RoundBits(sig, v.Exp + 1, v.Sign, rm, out bool inexact, out bool carry, out env.RoundedUp);
        if (inexact) env.Flags |= FpFlags.Precision;
        if (q == 0) return Zero(v.Sign);
        int lz = BitOperations.LeadingZeroCount(q);
        int exp = 63 - lz;
        var e2 = env; e2.Flags = 0;
        var r = RoundPack(v.Sign, exp, (UInt128)(q << lz) << 64, f, ref e2);
        return r;
    }

    // ------------------------------------------------------------------ helpers

    public static UInt128 ShiftRightJam(UInt128 x, int n)
    {
        if (n <= 0) return x;
        if (n >= 128) return x != UInt128.Zero ? UInt128.One : UInt128.Zero;
        UInt128 r = x >> n;
        if ((x << (128 - n)) != UInt128.Zero) r |= UInt128.One;
        return r;
    }

    public static int LeadingZeros(UInt128 x) => (int)UInt128.LeadingZeroCount(x);

    // ------------------------------------------------------------------ binary32/binary64 front ends

    // Exception priority (SDM vol.1 §4.9.2): an SNaN or QNaN operand, and invalid-operation or
    // divide-by-zero conditions, take precedence over the denormal-operand exception, which is
    // then not reported. Each front end computes its element's flags apart, then merges them.

    static FpFlags Begin(ref FpEnv env)
    {
        var saved = env.Flags;
        env.Flags = 0;
        return saved;
    }

    /// <summary>Drops DE when a higher-priority condition (NaN operand, IE, ZE) occurred, then merges the saved flags.</summary>
    public static void Finish(ref FpEnv env, FpFlags saved, in FpValue a, in FpValue b)
    {
        if (a.Class >= FpClass.QNaN || b.Class >= FpClass.QNaN || (env.Flags & (FpFlags.Invalid | FpFlags.ZeroDivide)) != 0)
            env.Flags &= ~FpFlags.Denormal;
        env.Flags |= saved;
    }

    public static uint Add32(uint a, uint b, ref FpEnv env) => Binary32(0, a, b, ref env);
    public static uint Sub32(uint a, uint b, ref FpEnv env) => Binary32(1, a, b, ref env);
    public static uint Mul32(uint a, uint b, ref FpEnv env) => Binary32(2, a, b, ref env);
    public static uint Div32(uint a, uint b, ref FpEnv env) => Binary32(3, a, b, ref env);
    public static uint Sqrt32(uint a, ref FpEnv env) => Binary32(4, a, a, ref env);
    public static ulong Add64(ulong a, ulong b, ref FpEnv env) => Binary64(0, a, b, ref env);
    public static ulong Sub64(ulong a, ulong b, ref FpEnv env) => Binary64(1, a, b, ref env);
    public static ulong Mul64(ulong a, ulong b, ref FpEnv env) => Binary64(2, a, b, ref env);
    public static ulong Div64(ulong a, ulong b, ref FpEnv env) => Binary64(3, a, b, ref env);
    public static ulong Sqrt64(ulong a, ref FpEnv env) => Binary64(4, a, a, ref env);

    static uint Binary32(int op, uint a, uint b, ref FpEnv env)
    {
        var saved = Begin(ref env);
        var va = Unpack32(a, ref env);
        var vb = op == 4 ? va : Unpack32(b, ref env);
        var r = Pack32(Operate(op, va, vb, FpFormat.Single, ref env));
        Finish(ref env, saved, va, vb);
        return r;
    }

    static ulong Binary64(int op, ulong a, ulong b, ref FpEnv env)
    {
        var saved = Begin(ref env);
        var va = Unpack64(a, ref env);
        var vb = op == 4 ? va : Unpack64(b, ref env);
        var r = Pack64(Operate(op, va, vb, FpFormat.Double, ref env));
        Finish(ref env, saved, va, vb);
        return r;
    }

    static FpBits Operate(int op, in FpValue a, in FpValue b, FpFormat f, ref FpEnv env) => op switch
    {
        0 => Add(a, b, false, f, ref env),
        1 => Add(a, b, true, f, ref env),
        2 => Mul(a, b, f, ref env),
        3 => Div(a, b, f, ref env),
        _ => Sqrt(a, f, ref env),
    };

    /// <summary>Ordering of two binary32 values with SSE flag rules (see <see cref="Compare"/>).</summary>
    public static int Compare32(uint a, uint b, bool signaling, ref FpEnv env)
    {
        var saved = Begin(ref env);
        var va = Unpack32(a, ref env); var vb = Unpack32(b, ref env);
        int c = Compare(va, vb, signaling, ref env);
        Finish(ref env, saved, va, vb);
        return c;
    }

    public static int Compare64(ulong a, ulong b, bool signaling, ref FpEnv env)
    {
        var saved = Begin(ref env);
        var va = Unpack64(a, ref env); var vb = Unpack64(b, ref env);
        int c = Compare(va, vb, signaling, ref env);
        Finish(ref env, saved, va, vb);
        return c;
    }

    /// <summary>MINSS/MINPS: the second operand when either is a NaN or both are zeros (SDM vol.2 MINPS); IE on any NaN.</summary>
    /// <remarks>With DAZ the operand returned is the zero a denormal was read as.</remarks>
    public static uint Min32(uint a, uint b, ref FpEnv env) => Daz32(Compare32(a, b, true, ref env) == -1 ? a : b, env);
    public static uint Max32(uint a, uint b, ref FpEnv env) => Daz32(Compare32(a, b, true, ref env) == 1 ? a : b, env);
    public static ulong Min64(ulong a, ulong b, ref FpEnv env) => Daz64(Compare64(a, b, true, ref env) == -1 ? a : b, env);
    public static ulong Max64(ulong a, ulong b, ref FpEnv env) => Daz64(Compare64(a, b, true, ref env) == 1 ? a : b, env);

    static uint Daz32(uint v, in FpEnv env) => env.Daz && (v & 0x7F80_0000) == 0 ? v & 0x8000_0000 : v;
    static ulong Daz64(ulong v, in FpEnv env) => env.Daz && (v & 0x7FF0_0000_0000_0000) == 0 ? v & 0x8000_0000_0000_0000 : v;

    public static ulong Float32To64(uint a, ref FpEnv env)
    {
        var saved = Begin(ref env);
        var v = Unpack32(a, ref env);
        if (v.Class == FpClass.SNaN) env.Flags |= FpFlags.Invalid;
        var r = Pack64(Exact(v, FpFormat.Double, ref env));
        Finish(ref env, saved, v, v);
        return r;
    }

    public static uint Float64To32(ulong a, ref FpEnv env)
    {
        var saved = Begin(ref env);
        var v = Unpack64(a, ref env);
        uint r;
        if (v.IsNaN)
        {
            if (v.Class == FpClass.SNaN) env.Flags |= FpFlags.Invalid;
            r = Pack32(QuietNaN(v, FpFormat.Single));
        }
        else r = Pack32(Exact(v, FpFormat.Single, ref env));
        Finish(ref env, saved, v, v);
        return r;
    }
}
