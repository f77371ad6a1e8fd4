using System.Numerics;

namespace JitVirt.Cpu.Fpu;

/// <summary>
/// The x87 transcendental functions computed to far more than 64 bits and rounded once to the
/// 80-bit format under the rounding control: sin, cos, tan (after reduction modulo π/2 with the
/// x87's 66-bit π), arctan of a quotient, 2^x − 1, y·log2 x and y·log2(1 + x). Values are fixed-point
/// <see cref="BigInteger"/>s: v / 2^S, with S chosen per call so that at least ~300 significant bits
/// survive (tiny arguments get a larger S). A non-trivial transcendental result is irrational, so
/// every result here is inexact: the truncated tail is folded into a sticky bit before
/// <see cref="SoftFloat.RoundPack"/>, which raises PE, UE and OE and reports the rounding direction.
/// Precision control does not apply to these instructions (SDM vol.1 §8.1.5.2 lists the ones it does).
/// </summary>
public static class ExtendedTranscendentals
{
    const int Guard = 320;
    const int ConstantBits = 768;

    static readonly BigInteger Pi = ComputePi(ConstantBits);      // π × 2^768
    static readonly BigInteger Ln2 = ComputeLn2(ConstantBits);    // ln 2 × 2^768

    /// <summary>π / 4 × k rounded to extended (the exact angles FPATAN returns for zero and infinite operands).</summary>
    public static FpBits PiQuarters(int k, bool negative, ref FpEnv env)
    {
        if (k == 0) return SoftFloat.Zero(negative);
        return FromFixed(negative, Pi * k, ConstantBits + 2, ref env);
    }

    /// <summary>sin x and cos x for a finite non-zero x with |x| &lt; 2^63.</summary>
    public static (FpBits Sin, FpBits Cos) SinCos(in FpValue x, ref FpEnv env, bool wantSin = true, bool wantCos = true)
    {
        int s = ScaleFor(x.Exp);
        var (sinR, cosR, q, r) = Reduced(x, s);
        var sin = q switch { 0 => sinR, 1 => cosR, 2 => -sinR, _ => -cosR };
        var cos = q switch { 0 => cosR, 1 => -sinR, 2 => -cosR, _ => sinR };
        if (x.Sign) sin = -sin;
        // For a tiny reduced argument the series can stop at its first term: sin r = r or cos r = 1
        // exactly at scale s. The true value is then just below that in magnitude (|sin r| < |r|,
        // cos r < 1), not above as FromFixed assumes of a truncated value.
        bool sinIsR = sinR == r, cosIsOne = cosR == BigInteger.One << s;
        bool sinBelow = (q & 1) == 0 ? sinIsR : cosIsOne, cosBelow = (q & 1) == 0 ? cosIsOne : sinIsR;
        FpBits rs = default, rc = default;
        var envSin = env; var envCos = env;
        if (wantSin) rs = FromFixed(sin.Sign < 0, BigInteger.Abs(sin), s, ref envSin, sinBelow);
        if (wantCos) rc = FromFixed(cos.Sign < 0, BigInteger.Abs(cos), s, ref envCos, cosBelow);
        env.Flags |= envSin.Flags | envCos.Flags;
        // FSINCOS reports C1 for the sine (compared with the host: the cosine's agrees only by chance).
        env.RoundedUp = wantSin ? envSin.RoundedUp : envCos.RoundedUp;
        return (rs, rc);
    }

    /// <summary>tan x for a finite non-zero x with |x| &lt; 2^63.</summary>
    public static FpBits Tan(in FpValue x, ref FpEnv env)
    {
        int s = ScaleFor(x.Exp);
        var (sinR, cosR, q, _) = Reduced(x, s);
        // tan(r + qπ/2) = tan r for even q, −1/tan r = −cos r / sin r for odd q.
        BigInteger num = (q & 1) == 0 ? sinR : -cosR, den = (q & 1) == 0 ? cosR : sinR;
        var t = (num << s) / den;
        if (x.Sign) t = -t;
        return FromFixed(t.Sign < 0, BigInteger.Abs(t), s, ref env);
    }

    /// <summary>arctan(y / x) in (−π, π] by the quadrant of (x, y), both finite and non-zero (FPATAN).</summary>
    public static FpBits Atan2(in FpValue y, in FpValue x, ref FpEnv env)
    {
        // t = min/max ≤ 1, angle = atan t, then the octant is restored.
        bool swap = y.Exp > x.Exp || (y.Exp == x.Exp && y.Sig > x.Sig);
        var small = swap ? x : y; var big = swap ? y : x;
        int s = Guard + Math.Max(0, big.Exp - small.Exp);
        var t = ((BigInteger)small.Sig << (s + small.Exp - big.Exp)) / big.Sig;
        var angle = AtanSeries(t, s);
        var pi = ConstantAt(Pi, s);
        if (swap) angle = (pi >> 1) - angle;
        if (x.Sign) angle = pi - angle;
        return FromFixed(y.Sign, angle, s, ref env);
    }

    /// <summary>2^x − 1 for a finite non-zero x (F2XM1; the SDM defines it for −1 ≤ x ≤ +1).</summary>
    public static FpBits Exp2M1(in FpValue x, ref FpEnv env)
    {
        int s = ScaleFor(x.Exp);
        var z = Mul(ToFixed(x, s), ConstantAt(Ln2, s), s);
        if (x.Sign) z = -z;
        BigInteger sum = 0, term = z;
        for (int k = 2; !term.IsZero; k++)
        {
            sum += term;
            term = Mul(term, z, s) / k;
        }
        return FromFixed(sum.Sign < 0, BigInteger.Abs(sum), s, ref env);
    }

    /// <summary>y × log2 x for finite non-zero y and finite x &gt; 0 that is not a power of two (FYL2X).</summary>
    public static FpBits YLog2X(in FpValue y, in FpValue x, ref FpEnv env)
    {
        int s = Guard;
        var log2 = Log2((BigInteger)x.Sig << (s - 63), s) + ((BigInteger)x.Exp << s);
        return Product(y, log2, s, ref env);
    }

    /// <summary>y × log2(1 + x) for finite non-zero y and x (FYL2XP1; defined for |x| &lt; 1 − √2/2).</summary>
    public static FpBits YLog2XPlus1(in FpValue y, in FpValue x, ref FpEnv env)
    {
        int s = ScaleFor(x.Exp);
        var xf = ToFixed(x, s);
        if (x.Sign) xf = -xf;
        BigInteger log2;
        if (x.Exp < -1)
        {
            // |x| < ½: ln(1 + x) = 2 atanh(x / (2 + x)) with |x / (2 + x)| < ⅓, no cancellation for tiny x.
            var u = (xf << s) / ((BigInteger.One << (s + 1)) + xf);
            log2 = (AtanhSeries(u, s) << 1 << s) / ConstantAt(Ln2, s);
        }
        else
        {
            // ½ ≤ |x| < 1, outside the defined domain: 1 + x is exact at scale s (x has at most
            // s + 1 fractional bits here), and its logarithm is taken like FYL2X's. The direct series
            // would need ~2^63 terms as x approaches −1.
            log2 = Log2((BigInteger.One << s) + xf, s);
        }
        return Product(y, log2, s, ref env);
    }

    /// <summary>
    /// log2(m / 2^s) for m &gt; 0, at scale s: m / 2^s = n × 2^e with n in [√½, √2), so
    /// log2 = e + 2 atanh((n − 1) / (n + 1)) / ln 2 with |(n − 1) / (n + 1)| ≤ 0.172.
    /// </summary>
    static BigInteger Log2(BigInteger m, int s)
    {
        int e = (int)m.GetBitLength() - 1 - s;
        m = e >= 0 ? m >> e : m << -e;
        var sqrt2 = (BigInteger)0xB504_F333_F9DE_6484ul << (s - 63);
        if (m >= sqrt2) { e++; m >>= 1; }
        var one = BigInteger.One << s;
        var u = ((m - one) << s) / (m + one);
        return ((AtanhSeries(u, s) << 1 << s) / ConstantAt(Ln2, s)) + ((BigInteger)e << s);
    }

    static FpBits Product(in FpValue y, BigInteger log2, int s, ref FpEnv env)
    {
        bool negative = (log2.Sign < 0) ^ y.Sign;
        var p = BigInteger.Abs(log2) * y.Sig;
        // y = Sig × 2^(Exp − 63): the product is p / 2^(s − Exp + 63).
        return FromFixed(negative, p, s - y.Exp + 63, ref env);
    }

    // ------------------------------------------------------------------ kernels

    /// <summary>Fractional bits for an argument of binary exponent <paramref name="exp"/>: ≥ 320 significant bits even for tiny ones.</summary>
    static int ScaleFor(int exp) => Guard + Math.Max(0, -exp);

    static BigInteger ToFixed(in FpValue v, int s)
    {
        int shift = s + v.Exp - 63;
        return shift >= 0 ? (BigInteger)v.Sig << shift : (BigInteger)v.Sig >> -shift;
    }

    /// <summary>A constant held at <see cref="ConstantBits"/> fractional bits, at scale <paramref name="s"/>.</summary>
    static BigInteger ConstantAt(BigInteger c, int s) => s <= ConstantBits ? c >> (ConstantBits - s) : c << (s - ConstantBits);

    /// <summary>|x| reduced by the nearest multiple q of π/2: sin r, cos r (scale s), q mod 4 and r (scale s).</summary>
    static (BigInteger Sin, BigInteger Cos, int Quadrant, BigInteger R) Reduced(in FpValue x, int s)
    {
        // The reduction cancels up to ~63 + 64 leading bits, so it runs at a scale with that many more.
        int extra = Math.Max(0, x.Exp) + 80;
        int sr = s + extra;
        var ax = ToFixed(x, sr);
        var halfPi = HalfPi66 << (sr - (ReductionBits - 1));
        var k = (ax + (halfPi >> 1)) / halfPi;
        var d = ax - k * halfPi;
        var r = d.Sign < 0 ? -(-d >> extra) : d >> extra;
        var (sin, cos) = SinCosSeries(r, s);
        return (sin, cos, (int)(k & 3), r);
    }

    /// <summary>
    /// The x87 reduces FSIN/FCOS/FSINCOS/FPTAN arguments with a 66-bit approximation of π (SDM vol.1
    /// §8.3.8, "Pi"; the same on this project's AMD Zen 4 host: reducing with the exact π misses the
    /// host in ~35% of random cases and every near-multiple of π/2, with 66 bits in none). The
    /// reduction x − k·P is exact; only the function of the reduced argument is then approximated.
    /// π/2's 67th–69th bits are 0, so rounding and truncating to 66 bits agree.
    /// </summary>
    const int ReductionBits = 66;

    static readonly BigInteger HalfPi66 = Pi >> (ConstantBits + 1 - (ReductionBits - 1));

    /// <summary>sin r and cos r for |r| ≤ π/4 by their Taylor series (terms r^n / n! until they vanish at scale s).</summary>
    static (BigInteger Sin, BigInteger Cos) SinCosSeries(BigInteger r, int s)
    {
        var r2 = Mul(r, r, s);
        BigInteger sin = 0, cos = 0, term = BigInteger.One << s; // r^0 / 0!
        for (int n = 0; !term.IsZero; n++)
        {
            // term = (−1)^⌊n/2⌋ r^n / n!
            if ((n & 1) == 0) cos += term;
            else sin += term;
            term = n % 2 == 0 ? Mul(term, r, s) : -Mul(term, r, s);
            term /= n + 1;
        }
        return (sin, cos);
    }

    /// <summary>atan t for 0 ≤ t ≤ 1 (scale s): two argument halvings t ← t / (1 + √(1 + t²)), then the series.</summary>
    static BigInteger AtanSeries(BigInteger t, int s)
    {
        var one = BigInteger.One << s;
        for (int h = 0; h < 2; h++) t = (t << s) / (one + Sqrt((one << s) + t * t));
        var t2 = Mul(t, t, s);
        BigInteger sum = 0, power = t;
        for (int n = 1; !power.IsZero; n += 2)
        {
            sum += ((n >> 1) & 1) == 0 ? power / n : -(power / n);
            power = Mul(power, t2, s);
        }
        return sum << 2;
    }

    /// <summary>atanh u = Σ u^(2k+1) / (2k+1) for |u| ≤ ⅓ (scale s; it needs ~s / log2(1/u²) terms).</summary>
    static BigInteger AtanhSeries(BigInteger u, int s)
    {
        var u2 = Mul(u, u, s);
        BigInteger sum = 0, power = u;
        for (int n = 1; !power.IsZero; n += 2)
        {
            sum += power / n;
            power = Mul(power, u2, s);
        }
        return sum;
    }

    /// <summary>Fixed-point product truncated toward zero (an arithmetic shift would stop a negative series at −1).</summary>
    static BigInteger Mul(BigInteger a, BigInteger b, int s)
    {
        var p = a * b;
        return p.Sign < 0 ? -(-p >> s) : p >> s;
    }

    static BigInteger Sqrt(BigInteger n)
    {
        if (n.IsZero) return 0;
        var x = BigInteger.One << (int)((n.GetBitLength() + 1) / 2);
        while (true)
        {
            var y = (x + n / x) >> 1;
            if (y >= x) return x;
            x = y;
        }
    }

    /// <summary>
    /// Rounds the positive fixed-point value v / 2^s, known to be inexact, to extended precision: the
    /// true value lies just above v (a truncation), or just below it when <paramref name="below"/>.
    /// </summary>
    static FpBits FromFixed(bool negative, BigInteger v, int s, ref FpEnv env, bool below = false)
    {
        if (v.IsZero) return SoftFloat.Zero(negative);
        if (below) { v = (v << 1) - 1; s++; } // v − 2^−(s+1), and the sticky bit below that
        int n = (int)v.GetBitLength();
        UInt128 sig;
        if (n > 128)
        {
            var top = v >> (n - 128);
            sig = (UInt128)(top & ulong.MaxValue) | (UInt128)(ulong)(top >> 64) << 64;
        }
        else sig = ((UInt128)(ulong)(v >> 64) << 64 | (ulong)(v & ulong.MaxValue)) << (128 - n);
        sig |= UInt128.One; // the tail of an irrational value: never exact
        return SoftFloat.RoundPack(negative, n - 1 - s, sig, FpFormat.Extended, ref env);
    }

    // ------------------------------------------------------------------ constants

    static BigInteger ComputePi(int bits)
    {
        // Machin: π = 16 atan(1/5) − 4 atan(1/239), with 32 guard bits.
        int s = bits + 32;
        var pi = 16 * AtanInverse(5, s) - 4 * AtanInverse(239, s);
        return pi >> 32;
    }

    static BigInteger AtanInverse(int n, int s)
    {
        BigInteger sum = 0, power = (BigInteger.One << s) / n, n2 = n * n;
        for (int k = 1; !power.IsZero; k += 2)
        {
            sum += ((k >> 1) & 1) == 0 ? power / k : -(power / k);
            power /= n2;
        }
        return sum;
    }

    static BigInteger ComputeLn2(int bits)
    {
        // ln 2 = 2 atanh(1/3).
        int s = bits + 32;
        BigInteger sum = 0, power = (BigInteger.One << s) / 3;
        for (int k = 1; !power.IsZero; k += 2)
        {
            sum += power / k;
            power /= 9;
        }
        return (sum << 1) >> 32;
    }
}
