using System.Numerics;
using JitVirt.Cpu.State;

namespace JitVirt.Cpu.Semantics.Integer;

/// <summary>Bit test, bit scan and byte swap (SDM vol.2 BT/BTS/BTR/BTC, BSF/BSR, BSWAP), one body per width.</summary>
public static class BitOps
{
    /// <summary>
    /// BT and friends: CF ← the selected bit. <paramref name="bit"/> is already reduced modulo the
    /// width. OF SF AF PF are undefined (left unchanged); ZF is unaffected.
    /// </summary>
    public static void Bt<T>(Cpu cpu, T value, int bit) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
        => Alu.WriteFlags(cpu, Rflags.CF, ((ulong.CreateTruncating(value) >> bit) & 1) != 0 ? Rflags.CF : 0);

    /// <summary>BTS: CF ← bit, bit ← 1.</summary>
    public static T Bts<T>(Cpu cpu, T value, int bit) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        Bt(cpu, value, bit);
        return value | (T.One << bit);
    }

    /// <summary>BTR: CF ← bit, bit ← 0.</summary>
    public static T Btr<T>(Cpu cpu, T value, int bit) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        Bt(cpu, value, bit);
        return value & ~(T.One << bit);
    }

    /// <summary>BTC: CF ← bit, bit complemented.</summary>
    public static T Btc<T>(Cpu cpu, T value, int bit) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        Bt(cpu, value, bit);
        return value ^ (T.One << bit);
    }

    /// <summary>
    /// BSF: index of the lowest set bit. A zero source sets ZF and returns false (the destination
    /// keeps its value, as AMD documents and Intel does); otherwise ZF=0. CF OF SF AF PF undefined (unchanged).
    /// </summary>
    public static bool Bsf<T>(Cpu cpu, T src, out T index) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        ulong v = ulong.CreateTruncating(src);
        Alu.WriteFlags(cpu, Rflags.ZF, v == 0 ? Rflags.ZF : 0);
        index = T.CreateTruncating(v == 0 ? 0 : System.Numerics.BitOperations.TrailingZeroCount(v));
        return v != 0;
    }

    /// <summary>BSR: index of the highest set bit; a zero source as for <see cref="Bsf{T}"/>.</summary>
    public static bool Bsr<T>(Cpu cpu, T src, out T index) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        ulong v = ulong.CreateTruncating(src);
        Alu.WriteFlags(cpu, Rflags.ZF, v == 0 ? Rflags.ZF : 0);
        index = T.CreateTruncating(v == 0 ? 0 : 63 - System.Numerics.BitOperations.LeadingZeroCount(v));
        return v != 0;
    }

    /// <summary>BSWAP: byte order reversed. The 16-bit form is undefined in the SDM; it gives 0 here (what Intel's processors do).</summary>
    public static T Bswap<T>(T value) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        ulong v = ulong.CreateTruncating(value);
        return Alu.BitsOf<T>() switch
        {
            32 => T.CreateTruncating(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness((uint)v)),
            64 => T.CreateTruncating(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(v)),
            _ => T.Zero,
        };
    }
}
