using Iced.Intel;
using JitVirt.Cpu.Fpu;
using static JitVirt.Cpu.Fpu.X87Stack;

namespace JitVirt.Cpu.Semantics.X87;

/// <summary>FSCALE, FPREM, FPREM1, FXTRACT and the transcendental instructions.</summary>
static partial class X87Family
{
    /// <summary>v as a binary64, rounded to nearest; beyond binary64's range it becomes ±0 or ±∞ (all exceptions masked: an unmasked over/underflow would re-bias the exponent).</summary>
    static double ToDouble(in FpValue v)
    {
        var e = new FpEnv { Masks = FpFlags.All };
        return BitConverter.UInt64BitsToDouble(SoftFloat.Pack64(SoftFloat.Exact(v, FpFormat.Double, ref e)));
    }

    /// <summary>Rounds a binary64 result into an extended register; the result is marked inexact unless <paramref name="exact"/>.</summary>
    static FpBits FromDouble(double d, ref FpEnv env, bool exact = false)
    {
        var quiet = new FpEnv();
        var v = SoftFloat.Unpack64(BitConverter.DoubleToUInt64Bits(d), ref quiet);
        if (!exact && v.Class == FpClass.Normal) env.Flags |= FpFlags.Precision;
        return SoftFloat.Exact(v, FpFormat.Extended, ref quiet);
    }

    static bool OutOfRange(in FpValue v) => v.Class == FpClass.Normal && v.Exp >= 63;

    /// <summary>FSIN, FCOS, F2XM1 on ST(0). Returns false when ST(0) must stay unchanged (operand out of range: C2 = 1).</summary>
    static bool Transcendental(Cpu cpu, Mnemonic m, in FpValue v, ref FpEnv env, out FpBits r)
    {
        r = default;
        if (v.Class == FpClass.Unsupported) { env.Flags |= FpFlags.Invalid; r = Indefinite; return true; }
        if (v.IsNaN) { r = SoftFloat.PropagateNaN(v, v, FpFormat.Extended, ref env); return true; }
        if (m is Mnemonic.Fsin or Mnemonic.Fcos)
        {
            cpu.Fsw &= unchecked((ushort)~X87Bits.C2);
            if (v.IsInf) { env.Flags |= FpFlags.Invalid; r = Indefinite; return true; }
            if (OutOfRange(v)) { cpu.Fsw |= X87Bits.C2; return false; }
            if (v.IsZero) { r = m == Mnemonic.Fsin ? SoftFloat.Zero(v.Sign) : new FpBits { BiasedExp = 0x3FFF, Sig64 = 1ul << 63 }; return true; }
            var (sin, cos) = ExtendedTranscendentals.SinCos(v, ref env, m == Mnemonic.Fsin, m == Mnemonic.Fcos);
            r = m == Mnemonic.Fsin ? sin : cos;
            return true;
        }
        // F2XM1: 2^x − 1 for −1 ≤ x ≤ 1 (exact at ±1: 1 and −½).
        if (v.IsZero) { r = SoftFloat.Zero(v.Sign); return true; }
        if (v.IsInf) { r = v.Sign ? new FpBits { Sign = true, BiasedExp = 0x3FFF, Sig64 = 1ul << 63 } : SoftFloat.Infinity(false, FpFormat.Extended); return true; }
        if (v.Exp == 0 && v.Sig == 1ul << 63)
        {
            // 2^±1 − 1 = 1 or −½ exactly, yet the host (AMD Zen 4) reports PE: for +1 its
            // approximation lands just below 1, so rounding down or toward zero gives 1 − 2^−64 and
            // nearest or up gives 1 with C1 (rounded up). For −1 it gives −½, with PE and C1 clear.
            env.Flags |= FpFlags.Precision;
            bool below = !v.Sign && env.Rounding is RoundingMode.Down or RoundingMode.TowardZero;
            r = below
                ? new FpBits { BiasedExp = 0x3FFE, Sig64 = ulong.MaxValue }
                : new FpBits { Sign = v.Sign, BiasedExp = v.Sign ? 0x3FFE : 0x3FFF, Sig64 = 1ul << 63 };
            env.RoundedUp = !v.Sign && !below;
            return true;
        }
        if (v.Exp < 0) { r = ExtendedTranscendentals.Exp2M1(v, ref env); return true; }
        // Outside −1 ≤ x ≤ +1 the result is undefined (SDM vol.2 F2XM1): some finite approximation.
        double y = ToDouble(v);
        r = FromDouble(Math.Pow(2.0, y) - 1.0, ref env);
        return true;
    }

    static void TwoOperand(Cpu cpu, in Instruction i)
    {
        if (!cpu.CheckFpuAvailable()) return;
        var m = i.Mnemonic;
        Touch(cpu, i);
        if (OnHost(m)) { RunOnHost(cpu, m); return; }
        bool pushes = m is Mnemonic.Fxtract or Mnemonic.Fsincos or Mnemonic.Fptan;
        bool needsSt1 = !pushes;
        if (IsEmpty(cpu, 0) || (needsSt1 && IsEmpty(cpu, 1)))
        {
            if (!StackFault(cpu, false)) return;
            if (pushes) { Write(cpu, 0, Indefinite); if (IsEmpty(cpu, 7)) PushBits(cpu, Indefinite); }
            else if (m is Mnemonic.Fpatan or Mnemonic.Fyl2x or Mnemonic.Fyl2xp1) { Write(cpu, 1, Indefinite); Pop(cpu); }
            else Write(cpu, 0, Indefinite);
            return;
        }
        if (pushes && !IsEmpty(cpu, 7))
        {
            if (!StackFault(cpu, true)) return;
            Write(cpu, 0, Indefinite);
            PushBits(cpu, Indefinite);
            return;
        }
        var env = Env(cpu);
        var a = Read(cpu, 0, ref env);
        var b = needsSt1 ? Read(cpu, 1, ref env) : a;
        cpu.Fsw &= unchecked((ushort)~X87Bits.C1);
        switch (m)
        {
            case Mnemonic.Fscale:
            {
                var r = Scale(a, b, ref env);
                SoftFloat.Finish(ref env, 0, a, b);
                SetRoundingC1(cpu, env);
                if (Signal(cpu, env.Flags)) Write(cpu, 0, r);
                return;
            }
            case Mnemonic.Fprem:
            case Mnemonic.Fprem1:
            {
                ushort before = cpu.Fsw;
                var r = Remainder(cpu, a, b, m == Mnemonic.Fprem1, ref env);
                SoftFloat.Finish(ref env, 0, a, b);
                // An unmasked denormal operand stops the instruction before it computes anything:
                // no quotient bits, C2 (incomplete) clear (observed on AMD Zen 4).
                if ((env.Flags & ~env.Masks & FpFlags.Denormal) != 0)
                    cpu.Fsw = (ushort)((cpu.Fsw & ~X87Bits.ConditionMask) | (before & (X87Bits.C0 | X87Bits.C3)));
                if (Signal(cpu, env.Flags)) Write(cpu, 0, r);
                return;
            }
            case Mnemonic.Fxtract:
            {
                FpBits exp, sig;
                if (a.IsNaN || a.Class == FpClass.Unsupported) { exp = sig = a.IsNaN ? SoftFloat.PropagateNaN(a, a, FpFormat.Extended, ref env) : Indefinite; if (!a.IsNaN) env.Flags |= FpFlags.Invalid; }
                else if (a.IsZero) { env.Flags |= FpFlags.ZeroDivide; exp = SoftFloat.Infinity(true, FpFormat.Extended); sig = SoftFloat.Zero(a.Sign); }
                else if (a.IsInf) { exp = SoftFloat.Infinity(false, FpFormat.Extended); sig = SoftFloat.Infinity(a.Sign, FpFormat.Extended); }
                else
                {
                    var quiet = new FpEnv();
                    exp = SoftFloat.FromInt64(a.Exp, FpFormat.Extended, ref quiet);
                    sig = new FpBits { Sign = a.Sign, BiasedExp = 0x3FFF, Sig64 = a.Sig };
                }
                SoftFloat.Finish(ref env, 0, a, a);
                if (!Signal(cpu, env.Flags)) return;
                Write(cpu, 0, exp);
                PushBits(cpu, sig);
                return;
            }
            case Mnemonic.Fsincos:
            case Mnemonic.Fptan:
            {
                cpu.Fsw &= unchecked((ushort)~X87Bits.C2);
                if (OutOfRange(a)) { cpu.Fsw |= X87Bits.C2; return; }
                FpBits first, second;
                if (a.IsNaN || a.Class == FpClass.Unsupported || a.IsInf)
                {
                    first = second = a.IsNaN ? SoftFloat.PropagateNaN(a, a, FpFormat.Extended, ref env) : Indefinite;
                    if (!a.IsNaN) env.Flags |= FpFlags.Invalid;
                }
                else if (m == Mnemonic.Fptan)
                {
                    first = a.IsZero ? SoftFloat.Zero(a.Sign) : ExtendedTranscendentals.Tan(a, ref env);
                    second = new FpBits { BiasedExp = 0x3FFF, Sig64 = 1ul << 63 };
                }
                else
                {
                    if (a.IsZero) { first = SoftFloat.Zero(a.Sign); second = new FpBits { BiasedExp = 0x3FFF, Sig64 = 1ul << 63 }; }
                    else (first, second) = ExtendedTranscendentals.SinCos(a, ref env);
                }
                SoftFloat.Finish(ref env, 0, a, a);
                SetRoundingC1(cpu, env);
                if (!Signal(cpu, env.Flags)) return;
                Write(cpu, 0, first);
                PushBits(cpu, second);
                return;
            }
            default:
            {
                // FPATAN: ST(1) ← arctan(ST(1)/ST(0)); FYL2X: ST(1) ← ST(1)·log2 ST(0); FYL2XP1: ST(1) ← ST(1)·log2(ST(0)+1); then pop.
                FpBits r;
                if (a.IsNaN || b.IsNaN || a.Class == FpClass.Unsupported || b.Class == FpClass.Unsupported)
                {
                    if (a.Class == FpClass.Unsupported || b.Class == FpClass.Unsupported) { env.Flags |= FpFlags.Invalid; r = Indefinite; }
                    else r = SoftFloat.PropagateNaN(a, b, FpFormat.Extended, ref env);
                }
                else if (m == Mnemonic.Fpatan) r = Arctangent(b, a, ref env);
                else if (m == Mnemonic.Fyl2x && a.Class == FpClass.Normal && !a.Sign && b.Class == FpClass.Normal)
                {
                    // log2 of a power of two is its exponent: the product is rounded once, and may be exact.
                    var quiet = new FpEnv();
                    if (a.Sig == 1ul << 63)
                    {
                        r = SoftFloat.Mul(b, Unpack(SoftFloat.FromInt64(a.Exp, FpFormat.Extended, ref quiet)), FpFormat.Extended, ref env);
                        // The host (AMD Zen 4) reports PE even for these exact products (x ≠ 1), and
                        // so, with UE masked, UE for a tiny one (tiny and "inexact", SDM vol.1 §4.9.1.5).
                        if (a.Exp != 0)
                        {
                            env.Flags |= FpFlags.Precision;
                            if ((env.Masks & FpFlags.Underflow) != 0 && r.BiasedExp == 0 && r.Sig64 != 0) env.Flags |= FpFlags.Underflow;
                        }
                    }
                    else r = ExtendedTranscendentals.YLog2X(b, a, ref env);
                }
                else if (m == Mnemonic.Fyl2xp1 && a.Class == FpClass.Normal && b.Class == FpClass.Normal && a.Exp < 0)
                    r = ExtendedTranscendentals.YLog2XPlus1(b, a, ref env);
                else r = LogarithmProductSpecial(m, a, b, ref env);
                SoftFloat.Finish(ref env, 0, a, b);
                SetRoundingC1(cpu, env);
                if (!Signal(cpu, env.Flags)) return;
                Write(cpu, 1, r);
                Pop(cpu);
                return;
            }
        }
    }

    /// <summary>
    /// FYL2X and FYL2XP1 when an operand is zero, infinite or negative, or FYL2XP1's x lies outside
    /// −1 &lt; x &lt; 1: the class and sign of the logarithm and of y decide the exact results — ±0,
    /// ±∞, the indefinite (SDM vol.2 FYL2X and FYL2XP1, tables of results; log2 0 = −∞ with ZE for a
    /// finite non-zero y). Only FYL2XP1's finite product for |x| ≥ 1, whose result is undefined, is
    /// approximated in binary64. Decisions never use binary64, whose range is smaller than the operands'.
    /// </summary>
    static FpBits LogarithmProductSpecial(Mnemonic m, in FpValue x, in FpValue y, ref FpEnv env)
    {
        bool one = x.Class == FpClass.Normal && x.Exp == 0 && x.Sig == 1ul << 63; // |x| = 1
        bool infiniteLog, zeroLog, negativeLog;
        if (m == Mnemonic.Fyl2x)
        {
            if (x.Sign && !x.IsZero) return Invalid(ref env);              // log2 of a negative number
            infiniteLog = x.IsZero || x.IsInf;
            zeroLog = one;
            negativeLog = x.IsZero || (!x.IsInf && x.Exp < 0);
        }
        else
        {
            if (x.Sign && (x.IsInf || (x.Class == FpClass.Normal && x.Exp >= 0 && !one))) return Invalid(ref env); // 1 + x < 0
            infiniteLog = x.IsInf || (x.Sign && one);                      // log2 ∞, log2 0
            zeroLog = x.IsZero;                                            // log2(1 ± 0) = ±0
            negativeLog = x.Sign;
        }
        bool sign = negativeLog ^ y.Sign;
        if (y.IsZero) return infiniteLog ? Invalid(ref env) : SoftFloat.Zero(sign);
        if (y.IsInf) return zeroLog ? Invalid(ref env) : SoftFloat.Infinity(sign, FpFormat.Extended);
        if (infiniteLog)
        {
            if (x.IsZero || x.Sign) env.Flags |= FpFlags.ZeroDivide;       // log2 0 (x = 0, or FYL2XP1's x = −1)
            return SoftFloat.Infinity(sign, FpFormat.Extended);
        }
        if (zeroLog) return SoftFloat.Zero(sign);
        // FYL2XP1 with |x| ≥ 1 and a finite y: undefined result, binary64 is enough for the logarithm.
        var log = Unpack(FromDouble(Math.Log2(1.0 + ToDouble(x)), ref env));
        return SoftFloat.Mul(y, log, FpFormat.Extended, ref env);
    }

    /// <summary>
    /// FPATAN's arctan(y/x) with the quadrant of (x, y); zero and infinite operands give the exact
    /// multiples of π/4 of SDM vol.2 FPATAN, Table 3-30 (rounded like any other result).
    /// </summary>
    static FpBits Arctangent(in FpValue y, in FpValue x, ref FpEnv env)
    {
        if (y.Class == FpClass.Normal && x.Class == FpClass.Normal) return ExtendedTranscendentals.Atan2(y, x, ref env);
        int quarters;
        if (y.IsZero) quarters = x.Sign ? 4 : 0;
        else if (y.IsInf) quarters = x.IsInf ? (x.Sign ? 3 : 1) : 2;
        else quarters = x.IsZero ? 2 : x.Sign ? 4 : 0; // x infinite or zero, y finite non-zero
        return ExtendedTranscendentals.PiQuarters(quarters, y.Sign, ref env);
    }

    static void PushBits(Cpu cpu, in FpBits r) => Push(cpu, SoftFloat.PackSignExp80(r), r.Sig64);

    /// <summary>FSCALE: ST(0) × 2^trunc(ST(1)), rounded only on overflow/underflow (SDM vol.2 FSCALE, Table 3-?).</summary>
    static FpBits Scale(in FpValue a, in FpValue b, ref FpEnv env)
    {
        var f = FpFormat.Extended;
        if (a.Class == FpClass.Unsupported || b.Class == FpClass.Unsupported) { env.Flags |= FpFlags.Invalid; return Indefinite; }
        if (a.IsNaN || b.IsNaN) return SoftFloat.PropagateNaN(a, b, f, ref env);
        if (b.IsInf)
        {
            if (!b.Sign) return a.IsZero ? Invalid(ref env) : a.IsInf ? SoftFloat.Infinity(a.Sign, f) : SoftFloat.Infinity(a.Sign, f);
            return a.IsInf ? Invalid(ref env) : SoftFloat.Zero(a.Sign);
        }
        if (a.IsZero || a.IsInf) return SoftFloat.Exact(a, f, ref env);
        long n;
        if (b.IsZero || b.Exp < 0) n = 0;
        else if (b.Exp >= 20) n = b.Sign ? -(1L << 20) : 1L << 20;
        else n = (long)(b.Sig >> (63 - b.Exp)) * (b.Sign ? -1 : 1);
        return SoftFloat.RoundPack(a.Sign, (int)(a.Exp + n), (UInt128)a.Sig << 64, f, ref env);
    }

    static FpBits Invalid(ref FpEnv env)
    {
        env.Flags |= FpFlags.Invalid;
        return Indefinite;
    }

    /// <summary>
    /// FPREM (truncating quotient) and FPREM1 (IEEE, nearest-even quotient), exact. For exponent
    /// differences of 64 or more a partial remainder is produced with C2 = 1 (SDM vol.2 FPREM).
    /// </summary>
    static FpBits Remainder(Cpu cpu, in FpValue a, in FpValue b, bool ieee, ref FpEnv env)
    {
        var f = FpFormat.Extended;
        cpu.Fsw &= unchecked((ushort)~X87Bits.C2);
        if (a.Class == FpClass.Unsupported || b.Class == FpClass.Unsupported) return Invalid(ref env);
        if (a.IsNaN || b.IsNaN) return SoftFloat.PropagateNaN(a, b, f, ref env);
        if (a.IsInf || b.IsZero) return Invalid(ref env);
        if (a.IsZero || b.IsInf) { SetQuotientBits(cpu, 0); return SoftFloat.Exact(a, f, ref env); }
        int d = a.Exp - b.Exp;
        if (d < 0)
        {
            if (ieee && d == -1 && a.Sig > b.Sig)
            {
                // |a| > |b|/2: the nearest quotient is 1.
                UInt128 diff = ((UInt128)b.Sig << 1) - a.Sig; // (2b − a) at a's scale, magnitude of a − b
                int lz0 = SoftFloat.LeadingZeros(diff);
                SetQuotientBits(cpu, 1);
                return SoftFloat.RoundPack(!a.Sign, a.Exp - 63 + (127 - lz0), diff << lz0, f, ref env);
            }
            SetQuotientBits(cpu, 0);
            return SoftFloat.Exact(a, f, ref env);
        }
        int shift = d;
        bool partial = d >= 64;
        if (partial) shift = (d & 31) | 32;
        UInt128 num = (UInt128)a.Sig << shift;
        UInt128 q = num / b.Sig;
        UInt128 r = num - q * b.Sig;
        bool sign = a.Sign;
        if (!partial && ieee)
        {
            UInt128 twice = r << 1;
            if (twice > b.Sig || (twice == b.Sig && (q & 1) != 0)) { r = b.Sig - r; q++; sign = !sign; }
        }
        if (partial) cpu.Fsw |= X87Bits.C2;
        else SetQuotientBits(cpu, (int)(q & 7));
        if (r == 0) return SoftFloat.Zero(a.Sign);
        // r is at the scale of b.Sig × 2^(b.Exp − 63 + (partial ? d − shift : 0)).
        int lz = SoftFloat.LeadingZeros(r);
        int exp = b.Exp - 63 + (partial ? d - shift : 0) + (127 - lz);
        return SoftFloat.RoundPack(sign, exp, r << lz, f, ref env);
    }

    static void SetQuotientBits(Cpu cpu, int q)
    {
        ushort c = (ushort)(((q & 1) != 0 ? X87Bits.C1 : 0) | ((q & 2) != 0 ? X87Bits.C3 : 0) | ((q & 4) != 0 ? X87Bits.C0 : 0));
        cpu.Fsw = (ushort)((cpu.Fsw & ~(X87Bits.C0 | X87Bits.C1 | X87Bits.C3)) | c);
    }
}
