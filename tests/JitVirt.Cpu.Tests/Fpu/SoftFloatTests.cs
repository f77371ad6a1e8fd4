using JitVirt.Cpu.Fpu;
using Xunit;

namespace JitVirt.Cpu.Tests.Fpu;

/// <summary>The software IEEE core against .NET's binary64/binary32 arithmetic (round to nearest) and worked 80-bit values.</summary>
public sealed class SoftFloatTests
{
    static ulong Bits(double d) => BitConverter.DoubleToUInt64Bits(d);

    [Fact]
    public void Binary64MatchesHardwareDoubleArithmetic()
    {
        var rng = new Random(64);
        for (int k = 0; k < 200_000; k++)
        {
            double a = BitConverter.UInt64BitsToDouble(SseOracleTests.RandomDouble(rng));
            double b = BitConverter.UInt64BitsToDouble(SseOracleTests.RandomDouble(rng));
            var env = FpEnv.Sse(0x1F80);
            Check(a + b, SoftFloat.Add64(Bits(a), Bits(b), ref env), a, b, "+");
            Check(a - b, SoftFloat.Sub64(Bits(a), Bits(b), ref env), a, b, "-");
            Check(a * b, SoftFloat.Mul64(Bits(a), Bits(b), ref env), a, b, "*");
            Check(a / b, SoftFloat.Div64(Bits(a), Bits(b), ref env), a, b, "/");
            Check(Math.Sqrt(a), SoftFloat.Sqrt64(Bits(a), ref env), a, a, "sqrt");
        }
    }

    static void Check(double expected, ulong actual, double a, double b, string op)
    {
        // NaN results: .NET may not keep x86 NaN selection through its own code paths, so compare NaN-ness only.
        if (double.IsNaN(expected)) { Assert.True(double.IsNaN(BitConverter.UInt64BitsToDouble(actual)), $"{a:R} {op} {b:R}"); return; }
        Assert.True(Bits(expected) == actual, $"{a:R} {op} {b:R}: expected {Bits(expected):X16} actual {actual:X16}");
    }

    [Fact]
    public void Binary32MatchesHardwareFloatArithmetic()
    {
        var rng = new Random(32);
        for (int k = 0; k < 200_000; k++)
        {
            uint x = SseOracleTests.RandomSingle(rng), y = SseOracleTests.RandomSingle(rng);
            float a = BitConverter.UInt32BitsToSingle(x), b = BitConverter.UInt32BitsToSingle(y);
            var env = FpEnv.Sse(0x1F80);
            foreach (var (e, r) in new[] { (a + b, SoftFloat.Add32(x, y, ref env)), (a * b, SoftFloat.Mul32(x, y, ref env)), (a / b, SoftFloat.Div32(x, y, ref env)) })
            {
                if (float.IsNaN(e)) Assert.True(float.IsNaN(BitConverter.UInt32BitsToSingle(r)));
                else Assert.True(BitConverter.SingleToUInt32Bits(e) == r, $"{x:X8} {y:X8}: expected {BitConverter.SingleToUInt32Bits(e):X8} actual {r:X8}");
            }
        }
    }

    [Fact]
    public void FlagsFollowIeeeForWorkedCases()
    {
        var env = FpEnv.Sse(0x1F80);
        SoftFloat.Div64(Bits(1), Bits(0), ref env);
        Assert.Equal(FpFlags.ZeroDivide, env.Flags);
        env = FpEnv.Sse(0x1F80);
        Assert.Equal(SoftFloat.DefaultNaN64, SoftFloat.Sub64(Bits(double.PositiveInfinity), Bits(double.PositiveInfinity), ref env));
        Assert.Equal(FpFlags.Invalid, env.Flags);
        env = FpEnv.Sse(0x1F80);
        Assert.Equal(Bits(double.PositiveInfinity), SoftFloat.Mul64(Bits(double.MaxValue), Bits(2), ref env));
        Assert.Equal(FpFlags.Overflow | FpFlags.Precision, env.Flags);
        env = FpEnv.Sse(0x1F80 | 0x6000); // toward zero: overflow gives the largest finite value
        Assert.Equal(Bits(double.MaxValue), SoftFloat.Mul64(Bits(double.MaxValue), Bits(2), ref env));
        env = FpEnv.Sse(0x1F80);
        Assert.Equal(Bits(double.Epsilon), SoftFloat.Mul64(Bits(double.Epsilon * 2), Bits(0.5), ref env)); // exact denormal: no UE when masked
        Assert.Equal(FpFlags.Denormal, env.Flags);
        env = FpEnv.Sse(0x1F80 | 0x8000); // FTZ
        Assert.Equal(0ul, SoftFloat.Mul64(Bits(1e-300), Bits(1e-10), ref env));
        Assert.Equal(FpFlags.Underflow | FpFlags.Precision, env.Flags);
        env = FpEnv.Sse(0x1F80 | 0x40); // DAZ: denormal operand is zero, no DE
        Assert.Equal(Bits(1.0), SoftFloat.Add64(Bits(1.0), Bits(double.Epsilon), ref env));
        Assert.Equal(FpFlags.None, env.Flags);
    }

    [Fact]
    public void ExtendedArithmeticKeepsSixtyFourBits()
    {
        var env = new FpEnv { X87 = true, Masks = FpFlags.All };
        var one = SoftFloat.Unpack80(0x3FFF, 1ul << 63, ref env);
        var ulp = SoftFloat.Unpack80(0x3FFF - 63, 1ul << 63, ref env);
        var r = SoftFloat.Add(one, ulp, false, FpFormat.Extended, ref env);
        Assert.Equal((0x3FFF, 0x8000_0000_0000_0001ul), (r.BiasedExp, r.Sig64));
        Assert.Equal(FpFlags.None, env.Flags);
        // The same sum at 53-bit precision rounds back to 1.0 (inexact).
        r = SoftFloat.Add(one, ulp, false, FpFormat.ExtendedPc53, ref env);
        Assert.Equal((0x3FFF, 0x8000_0000_0000_0000ul), (r.BiasedExp, r.Sig64));
        Assert.Equal(FpFlags.Precision, env.Flags);
        // √2 in extended: 1.6A09E667F3BCC908B2F… → significand B504F333F9DE6484 (round to nearest).
        env.Flags = 0;
        var two = SoftFloat.Unpack80(0x4000, 1ul << 63, ref env);
        r = SoftFloat.Sqrt(two, FpFormat.Extended, ref env);
        Assert.Equal((0x3FFF, 0xB504_F333_F9DE_6484ul), (r.BiasedExp, r.Sig64));
    }

    [Fact]
    public void IntegerConversionsGiveTheIndefiniteOutOfRange()
    {
        var env = FpEnv.Sse(0x1F80);
        Assert.Equal(int.MinValue, SoftFloat.ToInt(SoftFloat.Unpack64(Bits(3e9), ref env), 32, RoundingMode.Nearest, ref env));
        Assert.Equal(FpFlags.Invalid, env.Flags);
        env = FpEnv.Sse(0x1F80);
        Assert.Equal(-2, SoftFloat.ToInt(SoftFloat.Unpack64(Bits(-2.5), ref env), 32, RoundingMode.Nearest, ref env));
        Assert.Equal(-3, SoftFloat.ToInt(SoftFloat.Unpack64(Bits(-2.5), ref env), 32, RoundingMode.Down, ref env));
        Assert.Equal(FpFlags.Precision, env.Flags);
    }
}
