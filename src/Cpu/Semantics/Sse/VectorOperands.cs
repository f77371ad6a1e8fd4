using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Iced.Intel;
using JitVirt.Cpu.Fpu;

namespace JitVirt.Cpu.Semantics.Sse;

/// <summary>Operand access shared by the MMX, SSE and SSE2 handlers.</summary>
static class VectorOperands
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsMmx(Register r) => r >= Register.MM0 && r <= Register.MM7;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsXmm(Register r) => r >= Register.XMM0 && r <= Register.XMM15;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int XmmIndex(Register r) => r - Register.XMM0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int MmIndex(Register r) => r - Register.MM0;

    /// <summary>
    /// Legacy-SSE 128-bit memory operands must be 16-byte aligned (#GP(0)) except for the explicitly
    /// unaligned moves (SDM vol.1 §11.4.1, §12.x: MOVUPS, MOVUPD, MOVDQU, LDDQU).
    /// </summary>
    public static bool RequiresAlignment(in Instruction i, int size) =>
        size == 16 && i.Mnemonic is not (Mnemonic.Movups or Mnemonic.Movupd or Mnemonic.Movdqu);

    /// <summary>Size in bytes of the instruction's memory operand.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int MemorySize(in Instruction i) => i.MemorySize.GetSize();

    /// <summary>
    /// Reads operand <paramref name="n"/> as a 128-bit value: XMM, MM (zero-extended), a GPR
    /// (zero-extended) or memory of the instruction's memory size (alignment checked where required).
    /// </summary>
    public static bool TryRead(Cpu cpu, in Instruction i, int n, out Vector128<byte> value)
    {
        var kind = i.GetOpKind(n);
        if (kind == OpKind.Register)
        {
            var r = i.GetOpRegister(n);
            if (IsXmm(r)) value = cpu.Xmm[XmmIndex(r)];
            else if (IsMmx(r)) value = Vector128.CreateScalar(cpu.ReadMmx(MmIndex(r))).AsByte();
            else value = Vector128.CreateScalar(cpu.ReadRegisterZx(r)).AsByte();
            return true;
        }
        if (kind == OpKind.Memory)
        {
            int size = MemorySize(i);
            return cpu.TryReadVector(i, size, RequiresAlignment(i, size), out value);
        }
        value = Vector128.CreateScalar((ulong)i.GetImmediate(n)).AsByte();
        return true;
    }

    public static FpEnv Env(Cpu cpu) => FpEnv.Sse(cpu.Mxcsr);

    /// <summary>
    /// Folds the flags of a SIMD floating-point operation into MXCSR (SDM vol.1 §11.5.2.1): if an
    /// unmasked pre-computation exception (IE, DE, ZE) occurred in any element only those flags are
    /// recorded; otherwise all. Any unmasked flag raises #XM (or #UD with CR4.OSXMMEXCPT=0) and the
    /// destination must not be written: returns false then.
    /// </summary>
    public static bool CommitFlags(Cpu cpu, FpFlags flags)
    {
        if (flags == 0) return true;
        uint masks = (cpu.Mxcsr >> 7) & 0x3F;
        const FpFlags pre = FpFlags.Invalid | FpFlags.Denormal | FpFlags.ZeroDivide;
        if (((uint)(flags & pre) & ~masks) != 0) flags &= pre;
        cpu.Mxcsr |= (uint)flags;
        if (((uint)flags & ~masks) != 0) { cpu.RaiseSimdException(); return false; }
        return true;
    }
}
