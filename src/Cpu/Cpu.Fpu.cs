using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Iced.Intel;
using JitVirt.Cpu.Fpu;
using JitVirt.Cpu.Memory;

namespace JitVirt.Cpu;

/// <summary>
/// x87 FPU, MMX and SSE state (SDM vol.1 §8.1, §9.2, §10.2) and the device-availability checks
/// every x87/MMX/SSE instruction makes first. The eight x87 data registers are kept in physical
/// order (R0–R7); ST(i) is R[(TOP+i) mod 8]. MMi aliases the significand of Ri (SDM vol.1 §9.5).
/// The tag word is kept abridged (one valid bit per physical register, as FXSAVE stores it); the
/// full two-bit tags are derived from the register contents when FSTENV/FSAVE need them.
/// </summary>
public sealed partial class Cpu
{
    /// <summary>Significands of the physical x87 registers R0–R7 (also MM0–MM7).</summary>
    public readonly ulong[] FpuSignificand = new ulong[8];
    /// <summary>Sign and 15-bit exponent of R0–R7 (bits 79:64).</summary>
    public readonly ushort[] FpuSignExponent = new ushort[8];
    /// <summary>x87 control word (SDM vol.1 §8.1.5).</summary>
    public ushort Fcw = 0x0040;
    /// <summary>x87 status word including TOP in bits 13:11 (SDM vol.1 §8.1.3).</summary>
    public ushort Fsw;
    /// <summary>Abridged tag: bit i set when physical register i is not empty.</summary>
    public byte FpuTagValid = 0xFF;
    /// <summary>Last non-control x87 instruction: opcode (11 bits), instruction and data pointers (SDM vol.1 §8.1.8–8.1.10).</summary>
    public ushort FpuOpcode;
    public ulong FpuIp, FpuDp;
    public ushort FpuCs, FpuDs;

    /// <summary>XMM0–XMM15.</summary>
    public readonly Vector128<byte>[] Xmm = new Vector128<byte>[16];
    /// <summary>MXCSR (SDM vol.1 §10.2.3).</summary>
    public uint Mxcsr = 0x1F80;

    /// <summary>MXCSR bits that exist: flags, DAZ, masks, RC, FTZ (DAZ is implemented, so it is advertised in MXCSR_MASK).</summary>
    public const uint MxcsrMask = 0xFFFF;

    public int FpuTop
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (Fsw >> 11) & 7;
        set => Fsw = (ushort)((Fsw & ~0x3800) | ((value & 7) << 11));
    }

    /// <summary>
    /// FCW as FLDCW, FLDENV, FRSTOR and FXRSTOR load it: reserved bit 6 reads 1, bits 7 and 13–15
    /// read 0 (SDM vol.1 §8.1.5, Figure 8-6).
    /// </summary>
    public static ushort FcwAsLoaded(ushort raw) => (ushort)((raw & 0x1F3F) | 0x40);

    /// <summary>
    /// FSW.ES and B summarise the exception flags the control word leaves unmasked, after any load
    /// of FCW or FSW (FLDCW, FLDENV, FRSTOR, FXRSTOR; SDM vol.1 §8.1.3.1).
    /// </summary>
    public void UpdateFpuErrorSummary()
    {
        bool pending = (Fsw & ~Fcw & 0x3F) != 0;
        Fsw = (ushort)(pending ? Fsw | X87Bits.ES | X87Bits.B : Fsw & ~(X87Bits.ES | X87Bits.B));
    }

    /// <summary>The x87/MMX/SSE state at power-up (SDM vol.3 §10.1.1, Table 10-1): FCW 0040H, tags 5555H (all +0.0), MXCSR 1F80H.</summary>
    public void ResetFpu()
    {
        Array.Clear(FpuSignificand);
        Array.Clear(FpuSignExponent);
        Fcw = 0x0040;
        Fsw = 0;
        FpuTagValid = 0xFF;
        FpuOpcode = 0; FpuIp = FpuDp = 0; FpuCs = FpuDs = 0;
        Array.Clear(Xmm);
        Mxcsr = 0x1F80;
    }

    /// <summary>FNINIT (SDM vol.2 FINIT): FCW 037FH, FSW 0, all registers empty, pointers cleared. XMM state is untouched.</summary>
    public void InitializeFpu()
    {
        Fcw = 0x037F;
        Fsw = 0;
        FpuTagValid = 0;
        FpuOpcode = 0; FpuIp = FpuDp = 0; FpuCs = FpuDs = 0;
    }

    // ------------------------------------------------------------------ availability checks

    /// <summary>
    /// Checks before an x87 instruction: CR0.EM or CR0.TS → #NM (SDM vol.3 §2.5, Table 2-2);
    /// then, for waiting instructions, a pending unmasked x87 exception (FSW.ES) → #MF when CR0.NE=1
    /// (with NE=0 the MS-DOS-compatible FERR#/IRQ13 path is not modelled and the instruction proceeds).
    /// </summary>
    public bool CheckFpuAvailable(bool waiting = true)
    {
        if ((Cr0 & (State.Cr0.EM | State.Cr0.TS)) != 0) { RaiseFault(ExceptionVector.DeviceNotAvailable); return false; }
        if (waiting && (Fsw & 0x80) != 0 && (Cr0 & State.Cr0.NE) != 0) { RaiseFault(ExceptionVector.FloatingPointError); return false; }
        return true;
    }

    /// <summary>WAIT/FWAIT: #NM when CR0.MP and CR0.TS are both set, then pending #MF.</summary>
    public bool CheckWait()
    {
        if ((Cr0 & (State.Cr0.MP | State.Cr0.TS)) == (State.Cr0.MP | State.Cr0.TS)) { RaiseFault(ExceptionVector.DeviceNotAvailable); return false; }
        if ((Fsw & 0x80) != 0 && (Cr0 & State.Cr0.NE) != 0) { RaiseFault(ExceptionVector.FloatingPointError); return false; }
        return true;
    }

    /// <summary>Checks before an MMX instruction (SDM vol.1 §9.6.2, Table 12-1): EM → #UD, TS → #NM, pending x87 exception → #MF.</summary>
    public bool CheckMmxAvailable()
    {
        if ((Cr0 & State.Cr0.EM) != 0) { RaiseInvalidOpcode(); return false; }
        if ((Cr0 & State.Cr0.TS) != 0) { RaiseFault(ExceptionVector.DeviceNotAvailable); return false; }
        if ((Fsw & 0x80) != 0 && (Cr0 & State.Cr0.NE) != 0) { RaiseFault(ExceptionVector.FloatingPointError); return false; }
        return true;
    }

    /// <summary>Checks before an SSE/SSE2 instruction (SDM vol.3 §2.5, §13.1.4): EM or CR4.OSFXSR=0 → #UD, TS → #NM.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool CheckSseAvailable()
    {
        if ((Cr0 & (State.Cr0.EM | State.Cr0.TS)) != 0 || (Cr4 & State.Cr4.OSFXSR) == 0) return SseUnavailable();
        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    bool SseUnavailable()
    {
        if ((Cr0 & State.Cr0.EM) != 0 || (Cr4 & State.Cr4.OSFXSR) == 0) RaiseInvalidOpcode();
        else RaiseFault(ExceptionVector.DeviceNotAvailable);
        return false;
    }

    /// <summary>
    /// Enters MMX mode: TOP ← 0 and every register tagged valid (SDM vol.1 §9.5.1). Called by each MMX
    /// instruction after its checks and memory accesses have succeeded.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void EnterMmxMode()
    {
        Fsw &= unchecked((ushort)~0x3800);
        FpuTagValid = 0xFF;
    }

    public ulong ReadMmx(int n) => FpuSignificand[n & 7];

    /// <summary>Writes MMn: the significand, with bits 79:64 set to all ones (SDM vol.1 §9.5.1).</summary>
    public void WriteMmx(int n, ulong value)
    {
        FpuSignificand[n & 7] = value;
        FpuSignExponent[n & 7] = 0xFFFF;
    }

    /// <summary>Raises #XM when CR4.OSXMMEXCPT=1, otherwise #UD, for an unmasked SIMD floating-point exception (SDM vol.3 §6.15, interrupt 19).</summary>
    public void RaiseSimdException()
    {
        if ((Cr4 & State.Cr4.OSXMMEXCPT) != 0) RaiseFault(ExceptionVector.SimdFloatingPoint);
        else RaiseInvalidOpcode();
    }

    // ------------------------------------------------------------------ vector memory operands

    /// <summary>
    /// Resolves the memory operand of <paramref name="size"/> bytes for a read: segment checks, then
    /// (when <paramref name="aligned"/>) #GP(0) unless the address is a multiple of 16 (SDM vol.1 §11.4.1).
    /// </summary>
    public bool TryVectorLinear(in Instruction i, int size, bool aligned, AccessKind kind, out ulong linear)
    {
        if (!TryLinear(MemorySegment(i), EffectiveAddress(i), size, kind, out linear)) return false;
        if (aligned && (linear & 15) != 0) { RaiseGeneralProtection(0); return false; }
        if (kind == AccessKind.Write && !ProbeWriteLinear(linear, size, Cpl == 3)) return false;
        return true;
    }

    /// <summary>Reads 4, 8 or 16 bytes of the instruction's memory operand, zero-extended to 128 bits.</summary>
    public bool TryReadVector(in Instruction i, int size, bool aligned, out Vector128<byte> value)
    {
        value = default;
        if (!TryVectorLinear(i, size, aligned, AccessKind.Read, out ulong linear)) return false;
        return TryReadVectorLinear(linear, size, out value);
    }

    public bool TryReadVectorLinear(ulong linear, int size, out Vector128<byte> value)
    {
        bool user = Cpl == 3;
        ulong lo, hi = 0;
        switch (size)
        {
            case 1: lo = ReadLinear<byte>(linear, user); break;
            case 2: lo = ReadLinear<ushort>(linear, user); break;
            case 4: lo = ReadLinear<uint>(linear, user); break;
            case 8: lo = ReadLinear<ulong>(linear, user); break;
            default:
                lo = ReadLinear<ulong>(linear, user);
                if (Faulted) { value = default; return false; }
                hi = ReadLinear<ulong>(Is64BitMode ? linear + 8 : (linear + 8) & 0xFFFF_FFFF, user);
                break;
        }
        value = Vector128.Create(lo, hi).AsByte();
        return !Faulted;
    }

    /// <summary>Writes the low <paramref name="size"/> bytes of <paramref name="value"/>; all checks happen before any byte is written.</summary>
    public bool TryWriteVector(in Instruction i, int size, bool aligned, Vector128<byte> value)
    {
        if (!TryVectorLinear(i, size, aligned, AccessKind.Write, out ulong linear)) return false;
        WriteVectorLinear(linear, size, value);
        return !Faulted;
    }

    /// <summary>Writes to a linear range already probed with <see cref="ProbeWriteLinear"/>.</summary>
    public void WriteVectorLinear(ulong linear, int size, Vector128<byte> value)
    {
        bool user = Cpl == 3;
        var q = value.AsUInt64();
        switch (size)
        {
            case 1: WriteLinear(linear, value.GetElement(0), user); break;
            case 2: WriteLinear(linear, value.AsUInt16().GetElement(0), user); break;
            case 4: WriteLinear(linear, value.AsUInt32().GetElement(0), user); break;
            case 8: WriteLinear(linear, q.GetElement(0), user); break;
            default:
                WriteLinear(linear, q.GetElement(0), user);
                WriteLinear(Is64BitMode ? linear + 8 : (linear + 8) & 0xFFFF_FFFF, q.GetElement(1), user);
                break;
        }
    }
}
