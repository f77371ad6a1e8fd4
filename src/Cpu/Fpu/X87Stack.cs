using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace JitVirt.Cpu.Fpu;

/// <summary>x87 status-word and control-word bits (SDM vol.1 §8.1.3, Figure 8-4; §8.1.5, Figure 8-6).</summary>
public static class X87Bits
{
    public const ushort IE = 1, DE = 2, ZE = 4, OE = 8, UE = 16, PE = 32, SF = 64, ES = 0x80;
    public const ushort C0 = 1 << 8, C1 = 1 << 9, C2 = 1 << 10, C3 = 1 << 14, B = 1 << 15;
    public const ushort ConditionMask = C0 | C1 | C2 | C3;
}

/// <summary>
/// The x87 register stack over <see cref="Cpu"/>'s physical registers: ST(i) access, push/pop
/// with tag maintenance, stack-fault and exception signalling (SDM vol.1 §8.1.2, §8.5.1.1).
/// </summary>
public static class X87Stack
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Physical(Cpu cpu, int i) => (cpu.FpuTop + i) & 7;

    public static bool IsEmpty(Cpu cpu, int i) => (cpu.FpuTagValid & (1 << Physical(cpu, i))) == 0;

    public static FpValue Read(Cpu cpu, int i, ref FpEnv env)
    {
        int p = Physical(cpu, i);
        return SoftFloat.Unpack80(cpu.FpuSignExponent[p], cpu.FpuSignificand[p], ref env);
    }

    public static (ushort SignExp, ulong Sig) Raw(Cpu cpu, int i)
    {
        int p = Physical(cpu, i);
        return (cpu.FpuSignExponent[p], cpu.FpuSignificand[p]);
    }

    public static void Write(Cpu cpu, int i, ushort signExp, ulong sig)
    {
        int p = Physical(cpu, i);
        cpu.FpuSignExponent[p] = signExp;
        cpu.FpuSignificand[p] = sig;
        cpu.FpuTagValid |= (byte)(1 << p);
    }

    public static void Write(Cpu cpu, int i, in FpBits r) => Write(cpu, i, SoftFloat.PackSignExp80(r), r.Sig64);

    public static void Pop(Cpu cpu)
    {
        cpu.FpuTagValid &= (byte)~(1 << Physical(cpu, 0));
        cpu.FpuTop = cpu.FpuTop + 1;
    }

    /// <summary>Decrements TOP and writes the new ST(0).</summary>
    public static void Push(Cpu cpu, ushort signExp, ulong sig)
    {
        cpu.FpuTop = cpu.FpuTop - 1;
        Write(cpu, 0, signExp, sig);
    }

    public static FpEnv Env(Cpu cpu) => new()
    {
        Rounding = (RoundingMode)((cpu.Fcw >> 10) & 3),
        Masks = (FpFlags)(cpu.Fcw & 0x3F),
        X87 = true,
    };

    /// <summary>The format arithmetic rounds to under FCW.PC (SDM vol.1 §8.1.5.2).</summary>
    public static FpFormat PrecisionFormat(Cpu cpu) => ((cpu.Fcw >> 8) & 3) switch
    {
        0 => FpFormat.ExtendedPc24,
        2 => FpFormat.ExtendedPc53,
        _ => FpFormat.Extended,
    };

    public static bool IsMasked(Cpu cpu, FpFlags f) => (cpu.Fcw & (ushort)f) == (ushort)f;

    /// <summary>
    /// Records exception flags in FSW (dropping DE when a NaN operand, IE or ZE take precedence is the
    /// caller's business). Unmasked ones set ES and B so the next waiting instruction raises #MF.
    /// Returns false when an unmasked IE, DE or ZE forbids writing the destination.
    /// </summary>
    public static bool Signal(Cpu cpu, FpFlags flags)
    {
        if (flags == 0) return true;
        // An unmasked denormal-operand exception is detected before the operation, which then does
        // not happen: none of its other exceptions are reported (SDM vol.1 §8.5.2).
        if ((flags & FpFlags.Denormal) != 0 && (cpu.Fcw & X87Bits.DE) == 0) flags &= FpFlags.Invalid | FpFlags.Denormal;
        cpu.Fsw |= (ushort)flags;
        var unmasked = flags & ~(FpFlags)(cpu.Fcw & 0x3F);
        if (unmasked != 0) cpu.Fsw |= X87Bits.ES | X87Bits.B;
        return (unmasked & (FpFlags.Invalid | FpFlags.Denormal | FpFlags.ZeroDivide)) == 0;
    }

    /// <summary>Stack underflow or overflow: IE and SF, C1 = overflow. Returns true when masked (the caller delivers the QNaN indefinite).</summary>
    public static bool StackFault(Cpu cpu, bool overflow)
    {
        cpu.Fsw = (ushort)((cpu.Fsw & ~X87Bits.C1) | X87Bits.IE | X87Bits.SF | (overflow ? X87Bits.C1 : 0));
        if ((cpu.Fcw & X87Bits.IE) == 0) { cpu.Fsw |= X87Bits.ES | X87Bits.B; return false; }
        return true;
    }

    /// <summary>C1 after a rounded result: set when the result was rounded up in magnitude, else clear (SDM vol.1 §8.1.3.3).</summary>
    public static void SetRoundingC1(Cpu cpu, in FpEnv env) =>
        cpu.Fsw = (ushort)((cpu.Fsw & ~X87Bits.C1) | (env.RoundedUp && (env.Flags & FpFlags.Precision) != 0 && !UnmaskedDenormal(env) ? X87Bits.C1 : 0));

    /// <summary>An unmasked denormal operand: the operation is not carried out (SDM vol.1 §8.5.2).</summary>
    static bool UnmaskedDenormal(in FpEnv env) => (env.Flags & ~env.Masks & FpFlags.Denormal) != 0;

    public static void SetConditions(Cpu cpu, ushort c) => cpu.Fsw = (ushort)((cpu.Fsw & ~X87Bits.ConditionMask) | c);

    public const ushort IndefiniteSignExp = 0xFFFF;
    public const ulong IndefiniteSig = 0xC000_0000_0000_0000;

    /// <summary>Full two-bit tag of physical register <paramref name="p"/>: 00 valid, 01 zero, 10 special, 11 empty (SDM vol.1 §8.1.7).</summary>
    public static int FullTag(Cpu cpu, int p)
    {
        if ((cpu.FpuTagValid & (1 << p)) == 0) return 3;
        ushort se = cpu.FpuSignExponent[p];
        ulong sig = cpu.FpuSignificand[p];
        int e = se & 0x7FFF;
        if (e == 0) return sig == 0 ? 1 : 2;
        if (e == 0x7FFF || (sig >> 63) == 0) return 2;
        return 0;
    }

    /// <summary>Bytes of the register area of an FSAVE/FNSAVE image: ST(0) … ST(7), ten bytes each (SDM vol.1 §8.1.10, Figure 8-9).</summary>
    public const int RegisterAreaSize = 80;

    /// <summary>Writes ST(0) … ST(7) into <paramref name="area"/> as FSAVE lays them out (significand, then sign and exponent).</summary>
    public static void StoreRegisterArea(Cpu cpu, Span<byte> area)
    {
        for (int st = 0; st < 8; st++)
        {
            var (se, sig) = Raw(cpu, st);
            BinaryPrimitives.WriteUInt64LittleEndian(area[(10 * st)..], sig);
            BinaryPrimitives.WriteUInt16LittleEndian(area[(10 * st + 8)..], se);
        }
    }

    /// <summary>Loads ST(0) … ST(7) from an FRSTOR register area (<see cref="StoreRegisterArea"/>'s layout); tags are the caller's.</summary>
    public static void LoadRegisterArea(Cpu cpu, ReadOnlySpan<byte> area)
    {
        for (int st = 0; st < 8; st++)
        {
            int p = Physical(cpu, st);
            cpu.FpuSignificand[p] = BinaryPrimitives.ReadUInt64LittleEndian(area[(10 * st)..]);
            cpu.FpuSignExponent[p] = BinaryPrimitives.ReadUInt16LittleEndian(area[(10 * st + 8)..]);
        }
    }

    public static ushort FullTagWord(Cpu cpu)
    {
        int w = 0;
        for (int p = 0; p < 8; p++) w |= FullTag(cpu, p) << (2 * p);
        return (ushort)w;
    }

    public static byte AbridgedFromFull(ushort ftw)
    {
        int v = 0;
        for (int p = 0; p < 8; p++) if (((ftw >> (2 * p)) & 3) != 3) v |= 1 << p;
        return (byte)v;
    }
}
