using JitVirt.NativeOracle;

namespace JitVirt.Cpu.Tests.Fpu;

/// <summary>
/// Random operands for the SIMD oracle corpora: floating-point elements biased towards the classes
/// where implementations differ (zero, denormal, tiny and huge normals, infinity, QNaN/SNaN, values
/// around the integer conversion limits, few-significant-bit values that round exactly), integer
/// edge values, and MXCSR images with every rounding mode, DAZ/FTZ, random masks and sticky flags.
/// </summary>
public static class SimdOracleValues
{
    /// <summary>A random MXCSR (SDM vol.1 §10.2.3): RC 13–14, DAZ 6, FTZ 15, masks 7–12, flags 0–5;
    /// a third of the values unmask some exceptions so the #XM path is exercised too.</summary>
    public static uint RandomMxcsr(Random rng)
    {
        uint rc = (uint)rng.Next(4) << 13;
        uint daz = rng.Next(4) == 0 ? 0x40u : 0;
        uint ftz = rng.Next(4) == 0 ? 0x8000u : 0;
        uint masks = rng.Next(3) == 0 ? (uint)rng.Next(64) << 7 : 0x1F80;
        uint flags = rng.Next(3) == 0 ? (uint)rng.Next(64) : 0;
        return rc | daz | ftz | masks | flags;
    }

    public static ulong RandomInteger(Random rng) => rng.Next(6) switch
    {
        0 => (ulong)rng.Next(-100, 100),
        1 => (ulong)(long)(int)rng.NextInt64(int.MinValue, (long)int.MaxValue + 1),
        2 => 1ul << rng.Next(64),
        3 => (ulong)-(long)(1ul << rng.Next(63)),
        _ => (ulong)rng.NextInt64() ^ ((ulong)rng.NextInt64() << 1),
    };

    /// <summary>A 64-bit packed-integer value: random, saturating edges per element, or two singles.</summary>
    public static ulong RandomPacked64(Random rng) => rng.Next(5) switch
    {
        0 => RandomSingle(rng) | ((ulong)RandomSingle(rng) << 32),
        1 => EdgeBytes(rng),
        2 => (uint)(int)rng.Next(-70000, 70000) | ((ulong)(uint)rng.Next(-70000, 70000) << 32),
        _ => RandomInteger(rng),
    };

    /// <summary>Each byte one of 00, 01, 7F, 80, FF or random: saturation and sign edges for every element size.</summary>
    static ulong EdgeBytes(Random rng)
    {
        ulong v = 0;
        byte[] edges = [0x00, 0x01, 0x7F, 0x80, 0xFF];
        for (int k = 0; k < 8; k++) v |= (ulong)(rng.Next(7) < 5 ? edges[rng.Next(5)] : (byte)rng.Next(256)) << (8 * k);
        return v;
    }

    public static XmmRegister RandomXmm(Random rng) => rng.Next(3) switch
    {
        0 => new XmmRegister(RandomSingle(rng) | ((ulong)RandomSingle(rng) << 32), RandomSingle(rng) | ((ulong)RandomSingle(rng) << 32)),
        1 => new XmmRegister(RandomDouble(rng), RandomDouble(rng)),
        _ => new XmmRegister(RandomPacked64(rng), RandomPacked64(rng)),
    };

    public static uint RandomSingle(Random rng)
    {
        uint sign = rng.Next(2) == 0 ? 0 : 0x8000_0000u;
        uint frac = (uint)rng.Next() & 0x7FFFFF;
        if (rng.Next(3) == 0) frac &= 0x7FFFFFu << rng.Next(24); // few significant bits: exact results
        uint exp = rng.Next(12) switch
        {
            0 => 0,                               // zero or denormal
            1 => 0xFF,                            // infinity or NaN
            2 => (uint)rng.Next(1, 4),            // tiny normals
            3 => (uint)rng.Next(250, 255),        // huge
            4 => (uint)rng.Next(150, 160),        // around the 32-bit integer range
            5 => 127,
            _ => (uint)rng.Next(100, 155),
        };
        if (exp == 0 && rng.Next(3) == 0) frac = 0;
        if (exp == 0xFF && rng.Next(3) == 0) frac = 0;
        return sign | (exp << 23) | frac;
    }

    public static ulong RandomDouble(Random rng)
    {
        ulong sign = rng.Next(2) == 0 ? 0 : 1ul << 63;
        ulong frac = (ulong)rng.NextInt64() & 0xF_FFFF_FFFF_FFFF;
        if (rng.Next(3) == 0) frac &= 0xF_FFFF_FFFF_FFFFul << rng.Next(53);
        ulong exp = rng.Next(12) switch
        {
            0 => 0,
            1 => 0x7FF,
            2 => (ulong)rng.Next(1, 4),
            3 => (ulong)rng.Next(2040, 2047),
            4 => (ulong)rng.Next(1050, 1090),
            5 => 1023,
            6 => (ulong)rng.Next(800, 950),       // float-range underflow/overflow for CVTSD2SS
            7 => (ulong)rng.Next(1100, 1200),
            _ => (ulong)rng.Next(990, 1060),
        };
        if (exp == 0 && rng.Next(3) == 0) frac = 0;
        if (exp == 0x7FF && rng.Next(3) == 0) frac = 0;
        return sign | (exp << 52) | frac;
    }

    /// <summary>Fills every 16 bytes of <paramref name="memory"/> with a random XMM-like value.</summary>
    public static void FillMemory(byte[] memory, Random rng)
    {
        for (int k = 0; k + 16 <= memory.Length; k += 16)
        {
            var x = RandomXmm(rng);
            BitConverter.TryWriteBytes(memory.AsSpan(k), x.Low);
            BitConverter.TryWriteBytes(memory.AsSpan(k + 8), x.High);
        }
    }
}
