using System.Numerics;
using JitVirt.Cpu.State;

namespace JitVirt.Cpu.Semantics.Integer;

/// <summary>
/// Shifts and rotates (SDM vol.2 SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR, SHLD, SHRD), one body per
/// operation for every width. <c>count</c> is the raw count operand (CL or imm8); each method
/// masks it to 5 bits (6 for 64-bit operands) and, when the masked count is 0, returns the value
/// and leaves every flag unchanged.
/// <para>Choices for what the SDM leaves undefined, fixed so results are reproducible:
/// AF is cleared by every shift with a non-zero count; OF for counts above 1 is the count-1
/// formula applied to the last one-bit step, and RCL/RCR whose masked count is non-zero but a
/// multiple of 9 (17) still write OF from the unchanged value — both as the 80C286 does in the
/// SingleStep data; SHL/SHR by a count at or above the width give CF=0 once every bit has left;
/// SHLD/SHRD of 16-bit operands by 17-31 shift through the pattern DEST:SRC:DEST.</para>
/// </summary>
public static class Shift
{
    /// <summary>The count after the 5-bit (6-bit for 64-bit operands) mask.</summary>
    public static int MaskCount<T>(int count) where T : unmanaged => count & (Alu.BitsOf<T>() == 64 ? 0x3F : 0x1F);

    static bool Msb(ulong v, int bits) => ((v >> (bits - 1)) & 1) != 0;

    static ulong CfOf(bool cf, bool of) => (cf ? Rflags.CF : 0) | (of ? Rflags.OF : 0);

    /// <summary>SHL/SAL.</summary>
    public static T Shl<T>(Cpu cpu, T value, int count) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        int n = MaskCount<T>(count);
        if (n == 0) return value;
        int bits = Alu.BitsOf<T>();
        ulong v = ulong.CreateTruncating(value);
        ulong r = n >= bits ? 0 : (v << n) & Alu.MaskOf<T>();
        bool cf = n <= bits && ((v >> (bits - n)) & 1) != 0;
        Alu.WriteFlags(cpu, Rflags.Arithmetic, Alu.SzpFlags(r, bits) | CfOf(cf, Msb(r, bits) != cf));
        return T.CreateTruncating(r);
    }

    /// <summary>SHR.</summary>
    public static T Shr<T>(Cpu cpu, T value, int count) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        int n = MaskCount<T>(count);
        if (n == 0) return value;
        int bits = Alu.BitsOf<T>();
        ulong v = ulong.CreateTruncating(value);
        ulong r = n >= bits ? 0 : v >> n;
        bool cf = n <= bits && ((v >> (n - 1)) & 1) != 0;
        // OF = MSB of the operand before the last one-bit step (SDM SHR: the original MSB for count 1).
        Alu.WriteFlags(cpu, Rflags.Arithmetic, Alu.SzpFlags(r, bits) | CfOf(cf, Msb(v >> (n - 1), bits)));
        return T.CreateTruncating(r);
    }

    /// <summary>SAR: signed shift; counts at or above the width fill with the sign (CF = sign).</summary>
    public static T Sar<T>(Cpu cpu, T value, int count) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        int n = MaskCount<T>(count);
        if (n == 0) return value;
        int bits = Alu.BitsOf<T>();
        long sv = Alu.SignExtend(value);
        ulong r = (ulong)(sv >> Math.Min(n, bits - 1)) & Alu.MaskOf<T>();
        bool cf = ((sv >> (n - 1)) & 1) != 0;
        Alu.WriteFlags(cpu, Rflags.Arithmetic, Alu.SzpFlags(r, bits) | CfOf(cf, false));
        return T.CreateTruncating(r);
    }

    /// <summary>ROL: only CF (LSB of the result) and OF (MSB xor CF) change.</summary>
    public static T Rol<T>(Cpu cpu, T value, int count) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        int n = MaskCount<T>(count);
        if (n == 0) return value;
        int bits = Alu.BitsOf<T>();
        int k = n % bits;
        ulong v = ulong.CreateTruncating(value);
        ulong r = k == 0 ? v : ((v << k) | (v >> (bits - k))) & Alu.MaskOf<T>();
        bool cf = (r & 1) != 0;
        Alu.WriteFlags(cpu, Rflags.CF | Rflags.OF, CfOf(cf, Msb(r, bits) != cf));
        return T.CreateTruncating(r);
    }

    /// <summary>ROR: CF = MSB of the result, OF = the two top bits of the result xored.</summary>
    public static T Ror<T>(Cpu cpu, T value, int count) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        int n = MaskCount<T>(count);
        if (n == 0) return value;
        int bits = Alu.BitsOf<T>();
        int k = n % bits;
        ulong v = ulong.CreateTruncating(value);
        ulong r = k == 0 ? v : ((v >> k) | (v << (bits - k))) & Alu.MaskOf<T>();
        bool cf = Msb(r, bits);
        Alu.WriteFlags(cpu, Rflags.CF | Rflags.OF, CfOf(cf, cf != Msb(r, bits - 1)));
        return T.CreateTruncating(r);
    }

    /// <summary>A masked count that rotates by a whole cycle: OF (undefined for count ≠ 1) follows the 286's one-step formula.</summary>
    static void WriteRotateOverflow(Cpu cpu, bool of) => Alu.WriteFlags(cpu, Rflags.OF, of ? Rflags.OF : 0);

    /// <summary>The RCL/RCR rotate count: masked, then modulo 9 for bytes and 17 for words (SDM RCL tempCOUNT).</summary>
    public static int RotateThroughCarryCount<T>(int count) where T : unmanaged
    {
        int n = MaskCount<T>(count);
        return Alu.BitsOf<T>() switch { 8 => n % 9, 16 => n % 17, _ => n };
    }

    /// <summary>RCL: rotates the (bits+1)-bit value CF:DEST left. A rotate count of 0 (e.g. 9 for bytes) changes nothing.</summary>
    public static T Rcl<T>(Cpu cpu, T value, int count) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        int k = RotateThroughCarryCount<T>(count);
        int bits = Alu.BitsOf<T>(), w = bits + 1;
        if (k == 0)
        {
            if (MaskCount<T>(count) != 0) WriteRotateOverflow(cpu, Msb(ulong.CreateTruncating(value), bits) != cpu.GetCarryFlag());
            return value;
        }
        UInt128 wMask = ((UInt128)1 << w) - 1;
        UInt128 x = ((UInt128)(cpu.GetCarryFlag() ? 1u : 0u) << bits) | ulong.CreateTruncating(value);
        UInt128 rot = ((x << k) | (x >> (w - k))) & wMask;
        ulong r = (ulong)rot & Alu.MaskOf<T>();
        bool cf = (ulong)(rot >> bits) != 0;
        Alu.WriteFlags(cpu, Rflags.CF | Rflags.OF, CfOf(cf, Msb(r, bits) != cf));
        return T.CreateTruncating(r);
    }

    /// <summary>RCR: rotates CF:DEST right; OF (count 1) = MSB(DEST) xor CF before the rotate = the top two result bits xored.</summary>
    public static T Rcr<T>(Cpu cpu, T value, int count) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        int k = RotateThroughCarryCount<T>(count);
        int bits = Alu.BitsOf<T>(), w = bits + 1;
        if (k == 0)
        {
            ulong v = ulong.CreateTruncating(value);
            if (MaskCount<T>(count) != 0) WriteRotateOverflow(cpu, Msb(v, bits) != Msb(v, bits - 1));
            return value;
        }
        UInt128 wMask = ((UInt128)1 << w) - 1;
        UInt128 x = ((UInt128)(cpu.GetCarryFlag() ? 1u : 0u) << bits) | ulong.CreateTruncating(value);
        UInt128 rot = ((x >> k) | (x << (w - k))) & wMask;
        ulong r = (ulong)rot & Alu.MaskOf<T>();
        bool cf = (ulong)(rot >> bits) != 0;
        Alu.WriteFlags(cpu, Rflags.CF | Rflags.OF, CfOf(cf, Msb(r, bits) != Msb(r, bits - 1)));
        return T.CreateTruncating(r);
    }

    /// <summary>SHLD: DEST shifted left, filled from the top of SRC. CF = last bit out of DEST; OF (count 1) = sign change.</summary>
    public static T Shld<T>(Cpu cpu, T dest, T src, int count) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        int n = MaskCount<T>(count);
        if (n == 0) return dest;
        int bits = Alu.BitsOf<T>();
        ulong d = ulong.CreateTruncating(dest);
        UInt128 c = ((UInt128)d << bits) | ulong.CreateTruncating(src);
        int width = 2 * bits;
        if (bits == 16) { c = (c << 16) | d; width = 48; }
        ulong r = (ulong)((c << n) >> (width - bits)) & Alu.MaskOf<T>();
        bool cf = (ulong)((c >> (width - n)) & 1) != 0;
        Alu.WriteFlags(cpu, Rflags.Arithmetic, Alu.SzpFlags(r, bits) | CfOf(cf, Msb(r, bits) != Msb(d, bits)));
        return T.CreateTruncating(r);
    }

    /// <summary>SHRD: DEST shifted right, filled from the bottom of SRC. CF = last bit out of DEST; OF (count 1) = sign change.</summary>
    public static T Shrd<T>(Cpu cpu, T dest, T src, int count) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        int n = MaskCount<T>(count);
        if (n == 0) return dest;
        int bits = Alu.BitsOf<T>();
        ulong d = ulong.CreateTruncating(dest);
        UInt128 c = ((UInt128)ulong.CreateTruncating(src) << bits) | d;
        if (bits == 16) c |= (UInt128)d << 32;
        ulong r = (ulong)(c >> n) & Alu.MaskOf<T>();
        bool cf = (ulong)((c >> (n - 1)) & 1) != 0;
        Alu.WriteFlags(cpu, Rflags.Arithmetic, Alu.SzpFlags(r, bits) | CfOf(cf, Msb(r, bits) != Msb(d, bits)));
        return T.CreateTruncating(r);
    }
}
