using System.Numerics;
using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Fpu;
using JitVirt.Cpu.Memory;
using JitVirt.Cpu.State;
using static JitVirt.Cpu.Fpu.X87Stack;

namespace JitVirt.Cpu.Semantics.X87;

/// <summary>
/// The x87 FPU instructions (SDM vol.1 ch.8, vol.2 F*). Arithmetic is done by <see cref="SoftFloat"/>
/// on the 80-bit registers with FCW precision and rounding control, correctly rounded as on
/// hardware. The transcendental instructions (FSIN … FYL2XP1) run on the host's x87 on an x86-64
/// host (<see cref="HostX87"/>: the vendors' approximations are undocumented, so that is the only
/// bit-exact source); otherwise, or when <see cref="X87Transcendentals.UseHost"/> is off, they are
/// computed to far more than 64 bits by <see cref="ExtendedTranscendentals"/> and rounded once, which
/// differs from the hardware in the last bit for a few percent of arguments (decision 0014).
/// </summary>
static unsafe partial class X87Family
{
    enum Arith : byte { Add, Sub, SubR, Mul, Div, DivR }

    public static void Register()
    {
        Set(&Arithmetic, Mnemonic.Fadd, Mnemonic.Faddp, Mnemonic.Fiadd, Mnemonic.Fsub, Mnemonic.Fsubp, Mnemonic.Fisub,
            Mnemonic.Fsubr, Mnemonic.Fsubrp, Mnemonic.Fisubr, Mnemonic.Fmul, Mnemonic.Fmulp, Mnemonic.Fimul,
            Mnemonic.Fdiv, Mnemonic.Fdivp, Mnemonic.Fidiv, Mnemonic.Fdivr, Mnemonic.Fdivrp, Mnemonic.Fidivr);
        Set(&Compare, Mnemonic.Fcom, Mnemonic.Fcomp, Mnemonic.Fcompp, Mnemonic.Fucom, Mnemonic.Fucomp, Mnemonic.Fucompp,
            Mnemonic.Ficom, Mnemonic.Ficomp, Mnemonic.Fcomi, Mnemonic.Fcomip, Mnemonic.Fucomi, Mnemonic.Fucomip, Mnemonic.Ftst);
        Set(&Load, Mnemonic.Fld, Mnemonic.Fild, Mnemonic.Fbld);
        Set(&LoadConstant, Mnemonic.Fld1, Mnemonic.Fldz, Mnemonic.Fldpi, Mnemonic.Fldl2e, Mnemonic.Fldl2t, Mnemonic.Fldlg2, Mnemonic.Fldln2);
        Set(&Store, Mnemonic.Fst, Mnemonic.Fstp, Mnemonic.Fstpnce, Mnemonic.Fist, Mnemonic.Fistp, Mnemonic.Fbstp);
        Set(&Unary, Mnemonic.Fchs, Mnemonic.Fabs, Mnemonic.Fsqrt, Mnemonic.Frndint, Mnemonic.Fxam,
            Mnemonic.Fsin, Mnemonic.Fcos, Mnemonic.F2xm1);
        Set(&Fxch, Mnemonic.Fxch);
        Set(&Fcmov, Mnemonic.Fcmovb, Mnemonic.Fcmove, Mnemonic.Fcmovbe, Mnemonic.Fcmovu,
            Mnemonic.Fcmovnb, Mnemonic.Fcmovne, Mnemonic.Fcmovnbe, Mnemonic.Fcmovnu);
        Set(&TwoOperand, Mnemonic.Fscale, Mnemonic.Fprem, Mnemonic.Fprem1, Mnemonic.Fxtract, Mnemonic.Fsincos,
            Mnemonic.Fptan, Mnemonic.Fpatan, Mnemonic.Fyl2x, Mnemonic.Fyl2xp1);
        Set(&Control, Mnemonic.Fninit, Mnemonic.Finit, Mnemonic.Fnclex, Mnemonic.Fclex, Mnemonic.Fnstsw, Mnemonic.Fstsw,
            Mnemonic.Fnstcw, Mnemonic.Fstcw, Mnemonic.Fldcw, Mnemonic.Fincstp, Mnemonic.Fdecstp, Mnemonic.Ffree,
            Mnemonic.Ffreep, Mnemonic.Fnop, Mnemonic.Fneni, Mnemonic.Fndisi, Mnemonic.Fnsetpm, Mnemonic.Feni,
            Mnemonic.Fdisi, Mnemonic.Fsetpm);
        Set(&Environment, Mnemonic.Fnstenv, Mnemonic.Fstenv, Mnemonic.Fldenv, Mnemonic.Fnsave, Mnemonic.Fsave, Mnemonic.Frstor);
        foreach (var code in HandlerTable.FormsOf(Mnemonic.Wait)) HandlerTable.Set(code, &Wait);
    }

    static void Set(delegate*<Cpu, in Instruction, void> handler, params Mnemonic[] mnemonics)
    {
        foreach (var m in mnemonics)
            foreach (var code in HandlerTable.FormsOf(m))
            {
                // The 287-only FSETPM/FENI/FDISI encodings are no-ops on the 387 and later; skip nothing else.
                HandlerTable.Set(code, handler);
            }
    }

    // ------------------------------------------------------------------ helpers

    static int St(Iced.Intel.Register r) => r - Iced.Intel.Register.ST0;

    /// <summary>Records FIP/FCS, FDP/FDS and FOP for a non-control instruction (SDM vol.1 §8.1.8–8.1.10).</summary>
    static void Touch(Cpu cpu, in Instruction i)
    {
        cpu.FpuIp = cpu.Rip;
        cpu.FpuCs = cpu.Segments[SegmentIndex.Cs].Selector;
        var op = i.Code.ToOpCode();
        bool mem = i.Op0Kind == OpKind.Memory || (i.OpCount > 1 && i.Op1Kind == OpKind.Memory);
        int modrm;
        if (mem)
        {
            cpu.FpuDp = cpu.EffectiveAddress(i);
            cpu.FpuDs = cpu.Segments[Cpu.MemorySegment(i)].Selector;
            modrm = (op.GroupIndex >= 0 ? op.GroupIndex << 3 : 0) | MemoryModRm(i);
        }
        else modrm = (int)(op.OpCode & 0xFF) | (i.OpCount > 1 && i.Op1Kind == OpKind.Register && i.Op1Register >= Iced.Intel.Register.ST0 ? St(i.Op1Register) : i.OpCount > 0 && i.Op0Kind == OpKind.Register && i.Op0Register > Iced.Intel.Register.ST0 ? St(i.Op0Register) : 0);
        uint first = op.OpCode > 0xFF ? op.OpCode >> 8 : op.OpCode;
        cpu.FpuOpcode = (ushort)(((first & 7) << 8) | (uint)(modrm & 0xFF));
    }

    /// <summary>
    /// The mod and r/m fields of a memory operand's ModRM byte, rebuilt from the decoded operand
    /// (FOP keeps the whole ModRM byte, SDM vol.1 §8.1.10; Iced does not keep the raw byte). The
    /// decoder reports the displacement size that was encoded, so the rebuilt fields are the original ones.
    /// </summary>
    static int MemoryModRm(in Instruction i)
    {
        if (i.IsIPRelativeMemoryOperand) return 0b00_000_101;
        var b = i.MemoryBase; var x = i.MemoryIndex;
        int disp = i.MemoryDisplSize;
        if (b is >= Iced.Intel.Register.BX and <= Iced.Intel.Register.DI || x is >= Iced.Intel.Register.SI and <= Iced.Intel.Register.DI
            || (b == Iced.Intel.Register.None && x == Iced.Intel.Register.None && disp == 2))
        {
            // 16-bit addressing (SDM vol.2 Table 2-1).
            int rm16 = (b, x) switch
            {
                (Iced.Intel.Register.BX, Iced.Intel.Register.SI) => 0, (Iced.Intel.Register.BX, Iced.Intel.Register.DI) => 1,
                (Iced.Intel.Register.BP, Iced.Intel.Register.SI) => 2, (Iced.Intel.Register.BP, Iced.Intel.Register.DI) => 3,
                (Iced.Intel.Register.SI, Iced.Intel.Register.None) => 4, (Iced.Intel.Register.DI, Iced.Intel.Register.None) => 5,
                (Iced.Intel.Register.BP, Iced.Intel.Register.None) => 6, (Iced.Intel.Register.None, Iced.Intel.Register.None) => 6,
                _ => 7,
            };
            if (b == Iced.Intel.Register.None && x == Iced.Intel.Register.None) return rm16;
            return (disp == 0 ? 0 : disp == 1 ? 0x40 : 0x80) | rm16;
        }
        // 32/64-bit addressing (SDM vol.2 Tables 2-2, 2-3): an index, an RSP/R12 base or no base needs a SIB byte.
        bool noBase = b == Iced.Intel.Register.None;
        int rm = x != Iced.Intel.Register.None || noBase || (b.GetNumber() & 7) == 4 ? 4 : b.GetNumber() & 7;
        if (noBase && x == Iced.Intel.Register.None && !Is64BitCode(i)) return 0b00_000_101; // disp32 only
        if (noBase) return rm; // SIB with base 101 and mod 00: disp32
        int mod = disp == 0 ? 0 : disp == 1 ? 0x40 : 0x80;
        return mod | rm;
    }

    static bool Is64BitCode(in Instruction i) => i.CodeSize == CodeSize.Code64;

    static FpValue IntegerValue(long v)
    {
        if (v == 0) return new FpValue { Class = FpClass.Zero };
        ulong mag = v < 0 ? (ulong)-v : (ulong)v;
        int lz = System.Numerics.BitOperations.LeadingZeroCount(mag);
        return new FpValue { Sign = v < 0, Exp = 63 - lz, Sig = mag << lz, Class = FpClass.Normal };
    }

    /// <summary>Reads an fp32/fp64/fp80/int16/int32/int64/BCD memory operand as an unpacked value.</summary>
    static bool TryReadMemory(Cpu cpu, in Instruction i, ref FpEnv env, out FpValue v)
    {
        v = default;
        int seg = Cpu.MemorySegment(i);
        ulong ea = cpu.EffectiveAddress(i);
        switch (i.MemorySize)
        {
            case MemorySize.Float32: { uint x = cpu.Read<uint>(seg, ea); if (cpu.Faulted) return false; v = SoftFloat.Unpack32(x, ref env); return true; }
            case MemorySize.Float64: { ulong x = cpu.Read<ulong>(seg, ea); if (cpu.Faulted) return false; v = SoftFloat.Unpack64(x, ref env); return true; }
            case MemorySize.Int16: { short x = (short)cpu.Read<ushort>(seg, ea); if (cpu.Faulted) return false; v = IntegerValue(x); return true; }
            case MemorySize.Int32: { int x = (int)cpu.Read<uint>(seg, ea); if (cpu.Faulted) return false; v = IntegerValue(x); return true; }
            case MemorySize.Int64: { long x = (long)cpu.Read<ulong>(seg, ea); if (cpu.Faulted) return false; v = IntegerValue(x); return true; }
            case MemorySize.Float80:
            {
                if (!cpu.TryLinear(seg, ea, 10, AccessKind.Read, out _)) return false;
                ulong sig = cpu.Read<ulong>(seg, ea); ushort se = cpu.Read<ushort>(seg, ea + 8);
                if (cpu.Faulted) return false;
                var quiet = new FpEnv();
                v = SoftFloat.Unpack80(se, sig, ref quiet);
                return true;
            }
            case MemorySize.Bcd:
            {
                ulong lo = cpu.Read<ulong>(seg, ea); ushort hi = cpu.Read<ushort>(seg, ea + 8);
                if (cpu.Faulted) return false;
                long value = 0;
                for (int d = 8; d >= 0; d--)
                {
                    int b = d == 8 ? hi & 0xFF : (int)(lo >> (8 * d)) & 0xFF;
                    value = value * 100 + (b >> 4) * 10 + (b & 15);
                }
                v = IntegerValue(value);
                if ((hi & 0x8000) != 0) v.Sign = true;
                return true;
            }
        }
        cpu.RaiseInvalidOpcode();
        return false;
    }

    static FpValue Unpack(in FpBits r)
    {
        var e = new FpEnv();
        return SoftFloat.Unpack80(SoftFloat.PackSignExp80(r), r.Sig64, ref e);
    }

    static FpBits Indefinite => SoftFloat.DefaultNaN(FpFormat.Extended);

    // ------------------------------------------------------------------ arithmetic

    static Arith KindOf(Mnemonic m) => m switch
    {
        Mnemonic.Fadd or Mnemonic.Faddp or Mnemonic.Fiadd => Arith.Add,
        Mnemonic.Fsub or Mnemonic.Fsubp or Mnemonic.Fisub => Arith.Sub,
        Mnemonic.Fsubr or Mnemonic.Fsubrp or Mnemonic.Fisubr => Arith.SubR,
        Mnemonic.Fmul or Mnemonic.Fmulp or Mnemonic.Fimul => Arith.Mul,
        Mnemonic.Fdiv or Mnemonic.Fdivp or Mnemonic.Fidiv => Arith.Div,
        _ => Arith.DivR,
    };

    static void Arithmetic(Cpu cpu, in Instruction i)
    {
        if (!cpu.CheckFpuAvailable()) return;
        var m = i.Mnemonic;
        bool pop = m is Mnemonic.Faddp or Mnemonic.Fsubp or Mnemonic.Fsubrp or Mnemonic.Fmulp or Mnemonic.Fdivp or Mnemonic.Fdivrp;
        var env = Env(cpu);
        int dst, src;
        FpValue b = default;
        bool memory = i.Op0Kind == OpKind.Memory;
        if (memory)
        {
            dst = 0; src = -1;
            if (!TryReadMemory(cpu, i, ref env, out b)) return;
        }
        else { dst = St(i.Op0Register); src = St(i.Op1Register); }
        Touch(cpu, i);
        if (IsEmpty(cpu, dst) || (src >= 0 && IsEmpty(cpu, src)))
        {
            if (StackFault(cpu, false)) { Write(cpu, dst, Indefinite); if (pop) Pop(cpu); }
            return;
        }
        var a = Read(cpu, dst, ref env);
        if (src >= 0) b = Read(cpu, src, ref env);
        var f = PrecisionFormat(cpu);
        var r = KindOf(m) switch
        {
            Arith.Add => SoftFloat.Add(a, b, false, f, ref env),
            Arith.Sub => SoftFloat.Add(a, b, true, f, ref env),
            Arith.SubR => SoftFloat.Add(b, a, true, f, ref env),
            Arith.Mul => SoftFloat.Mul(a, b, f, ref env),
            Arith.Div => SoftFloat.Div(a, b, f, ref env),
            _ => SoftFloat.Div(b, a, f, ref env),
        };
        SoftFloat.Finish(ref env, 0, a, b);
        SetRoundingC1(cpu, env);
        if (!Signal(cpu, env.Flags)) return;
        Write(cpu, dst, r);
        if (pop) Pop(cpu);
    }

    // ------------------------------------------------------------------ compares

    static void Compare(Cpu cpu, in Instruction i)
    {
        if (!cpu.CheckFpuAvailable()) return;
        var m = i.Mnemonic;
        var env = Env(cpu);
        FpValue b = default;
        int src = -1;
        bool memory = i.OpCount > 0 && i.Op0Kind == OpKind.Memory;
        if (memory) { if (!TryReadMemory(cpu, i, ref env, out b)) return; }
        else if (m == Mnemonic.Ftst) b = new FpValue { Class = FpClass.Zero };
        else src = i.OpCount > 1 ? St(i.Op1Register) : 1;
        Touch(cpu, i);
        int pops = m switch
        {
            Mnemonic.Fcomp or Mnemonic.Fucomp or Mnemonic.Ficomp or Mnemonic.Fcomip or Mnemonic.Fucomip => 1,
            Mnemonic.Fcompp or Mnemonic.Fucompp => 2,
            _ => 0,
        };
        bool eflags = m is Mnemonic.Fcomi or Mnemonic.Fcomip or Mnemonic.Fucomi or Mnemonic.Fucomip;
        int c;
        bool masked;
        if (IsEmpty(cpu, 0) || (src >= 0 && IsEmpty(cpu, src)))
        {
            masked = StackFault(cpu, false);
            c = 2;
        }
        else
        {
            var a = Read(cpu, 0, ref env);
            if (src >= 0) b = Read(cpu, src, ref env);
            bool signaling = m is not (Mnemonic.Fucom or Mnemonic.Fucomp or Mnemonic.Fucompp or Mnemonic.Fucomi or Mnemonic.Fucomip);
            c = SoftFloat.Compare(a, b, signaling, ref env);
            SoftFloat.Finish(ref env, 0, a, b);
            masked = Signal(cpu, env.Flags);
        }
        // The result (unordered after IE) is reported even when the exception is unmasked; only the
        // pops are left undone then (observed on AMD Zen 4; Bochs does the same).
        if (eflags)
        {
            ulong f = c switch { 2 => Rflags.ZF | Rflags.PF | Rflags.CF, -1 => Rflags.CF, 0 => Rflags.ZF, _ => 0 };
            cpu.SetArithmeticFlags(Rflags.Arithmetic, f);
            cpu.Fsw &= unchecked((ushort)~X87Bits.C1);
        }
        else SetConditions(cpu, c switch { 2 => X87Bits.C3 | X87Bits.C2 | X87Bits.C0, -1 => X87Bits.C0, 0 => X87Bits.C3, _ => 0 });
        if (!masked) return;
        for (int k = 0; k < pops; k++) Pop(cpu);
    }

    // ------------------------------------------------------------------ loads and stores

    static void Load(Cpu cpu, in Instruction i)
    {
        if (!cpu.CheckFpuAvailable()) return;
        var env = Env(cpu);
        ushort se; ulong sig;
        if (i.Op0Kind == OpKind.Memory)
        {
            if (!TryReadMemory(cpu, i, ref env, out var v)) return;
            Touch(cpu, i);
            if (i.MemorySize == MemorySize.Float80)
            {
                se = cpu.Read<ushort>(Cpu.MemorySegment(i), cpu.EffectiveAddress(i) + 8);
                sig = cpu.Read<ulong>(Cpu.MemorySegment(i), cpu.EffectiveAddress(i));
            }
            else
            {
                if (v.Class == FpClass.SNaN) env.Flags |= FpFlags.Invalid;
                var r = SoftFloat.Exact(v, FpFormat.Extended, ref env);
                SoftFloat.Finish(ref env, 0, v, v);
                se = SoftFloat.PackSignExp80(r); sig = r.Sig64;
            }
        }
        else
        {
            int s = St(i.Op0Register);
            Touch(cpu, i);
            if (IsEmpty(cpu, s))
            {
                if (!StackFault(cpu, false)) return;
                (se, sig) = (IndefiniteSignExp, IndefiniteSig);
            }
            else (se, sig) = Raw(cpu, s);
        }
        if (!IsEmpty(cpu, 7))
        {
            if (!StackFault(cpu, true)) return;
            (se, sig) = (IndefiniteSignExp, IndefiniteSig);
        }
        else
        {
            cpu.Fsw &= unchecked((ushort)~X87Bits.C1);
            // An unmasked denormal operand does not stop the load (observed on AMD Zen 4); IE does.
            if (!Signal(cpu, env.Flags) && (env.Flags & FpFlags.Invalid) != 0) return;
        }
        Push(cpu, se, sig);
    }

    static void LoadConstant(Cpu cpu, in Instruction i)
    {
        if (!cpu.CheckFpuAvailable()) return;
        Touch(cpu, i);
        var rc = (RoundingMode)((cpu.Fcw >> 10) & 3);
        bool up = rc == RoundingMode.Up, down = rc is RoundingMode.Down or RoundingMode.TowardZero;
        // 66-bit constants rounded by RC (SDM vol.1 §8.3.9: since the 80486 the constants honour RC).
        (ushort se, ulong sig) = i.Mnemonic switch
        {
            Mnemonic.Fld1 => ((ushort)0x3FFF, 0x8000_0000_0000_0000ul),
            Mnemonic.Fldz => ((ushort)0, 0ul),
            Mnemonic.Fldpi => ((ushort)0x4000, down ? 0xC90F_DAA2_2168_C234ul : 0xC90F_DAA2_2168_C235ul),
            Mnemonic.Fldl2t => ((ushort)0x4000, up ? 0xD49A_784B_CD1B_8AFFul : 0xD49A_784B_CD1B_8AFEul),
            Mnemonic.Fldl2e => ((ushort)0x3FFF, down ? 0xB8AA_3B29_5C17_F0BBul : 0xB8AA_3B29_5C17_F0BCul),
            Mnemonic.Fldlg2 => ((ushort)0x3FFD, down ? 0x9A20_9A84_FBCF_F798ul : 0x9A20_9A84_FBCF_F799ul),
            _ => ((ushort)0x3FFE, down ? 0xB172_17F7_D1CF_79ABul : 0xB172_17F7_D1CF_79ACul),
        };
        if (!IsEmpty(cpu, 7))
        {
            if (!StackFault(cpu, true)) return;
            (se, sig) = (IndefiniteSignExp, IndefiniteSig);
        }
        else cpu.Fsw &= unchecked((ushort)~X87Bits.C1);
        Push(cpu, se, sig);
    }

    static void Store(Cpu cpu, in Instruction i)
    {
        if (!cpu.CheckFpuAvailable()) return;
        var m = i.Mnemonic;
        bool pop = m is Mnemonic.Fstp or Mnemonic.Fstpnce or Mnemonic.Fistp or Mnemonic.Fbstp;
        if (i.Op0Kind == OpKind.Register)
        {
            int d = St(i.Op0Register);
            Touch(cpu, i);
            if (IsEmpty(cpu, 0) && m == Mnemonic.Fstpnce)
            {
                // D9 D8+i (the undocumented FSTP alias) makes no stack-underflow check: an empty
                // ST(0) is just popped (observed on AMD Zen 4).
                cpu.Fsw &= unchecked((ushort)~X87Bits.C1);
                Pop(cpu);
                return;
            }
            if (IsEmpty(cpu, 0))
            {
                if (!StackFault(cpu, false)) return;
                Write(cpu, d, Indefinite);
            }
            else { var (se0, sig0) = Raw(cpu, 0); Write(cpu, d, se0, sig0); cpu.Fsw &= unchecked((ushort)~X87Bits.C1); }
            if (pop) Pop(cpu);
            return;
        }
        int seg = Cpu.MemorySegment(i);
        ulong ea = cpu.EffectiveAddress(i);
        var size = i.MemorySize;
        int bytes = size switch { MemorySize.Float32 or MemorySize.Int32 => 4, MemorySize.Int16 => 2, MemorySize.Float80 or MemorySize.Bcd => 10, _ => 8 };
        if (!cpu.TryWritableLinear(seg, ea, bytes, out ulong linear)) return;
        Touch(cpu, i);
        var env = Env(cpu);
        ulong lo = 0; ushort hi = 0;
        if (IsEmpty(cpu, 0))
        {
            if (!StackFault(cpu, false)) return;
            env.Flags = FpFlags.Invalid;
            (lo, hi) = IndefiniteFor(size);
        }
        else
        {
            var v = Read(cpu, 0, ref env);
            env.Flags &= ~FpFlags.Denormal; // stores report no denormal-operand exception
            if (v.Class == FpClass.Unsupported && size is MemorySize.Float32 or MemorySize.Float64) env.Flags |= FpFlags.Invalid;
            switch (size)
            {
                case MemorySize.Float32:
                    if (v.Class == FpClass.SNaN) env.Flags |= FpFlags.Invalid;
                    lo = v.IsNaN ? SoftFloat.Pack32(SoftFloat.QuietNaN(v, FpFormat.Single)) : SoftFloat.Pack32(SoftFloat.Exact(v, FpFormat.Single, ref env));
                    break;
                case MemorySize.Float64:
                    if (v.Class == FpClass.SNaN) env.Flags |= FpFlags.Invalid;
                    lo = v.IsNaN ? SoftFloat.Pack64(SoftFloat.QuietNaN(v, FpFormat.Double)) : SoftFloat.Pack64(SoftFloat.Exact(v, FpFormat.Double, ref env));
                    break;
                case MemorySize.Float80:
                    (hi, lo) = Raw(cpu, 0);
                    break;
                case MemorySize.Bcd:
                {
                    var r = SoftFloat.RoundToIntegral(v, FpFormat.Extended, env.Rounding, ref env);
                    var iv = Unpack(r);
                    bool roundedUp = env.RoundedUp;
                    long n = iv.Class == FpClass.Normal && iv.Exp < 63 ? SoftFloat.ToInt(iv, 64, RoundingMode.TowardZero, ref env) : long.MaxValue;
                    env.RoundedUp = roundedUp;
                    if (iv.IsZero) n = 0;
                    if (v.Class >= FpClass.Infinity || n == long.MaxValue || Math.Abs(n) > 999_999_999_999_999_999)
                    {
                        env.Flags = (env.Flags | FpFlags.Invalid) & ~FpFlags.Precision; // invalid outranks inexact
                        (lo, hi) = IndefiniteFor(size);
                    }
                    else
                    {
                        ulong mag = (ulong)Math.Abs(n);
                        for (int d = 0; d < 8; d++) { ulong pair = mag % 100; mag /= 100; lo |= ((pair / 10) << 4 | (pair % 10)) << (8 * d); }
                        hi = (ushort)((v.Sign ? 0x8000 : 0) | (int)((mag / 10) << 4 | (mag % 10)));
                    }
                    break;
                }
                default:
                {
                    int bits = size switch { MemorySize.Int16 => 16, MemorySize.Int32 => 32, _ => 64 };
                    long n = SoftFloat.ToInt(v, bits, env.Rounding, ref env);
                    lo = (ulong)n & (bits == 64 ? ulong.MaxValue : (1ul << bits) - 1);
                    break;
                }
            }
            // Unmasked overflow or underflow on a store: memory is not written and the rounding is
            // not reported (no PE, C1 clear; observed on AMD Zen 4).
            bool unmaskedRange = (env.Flags & ~env.Masks & (FpFlags.Overflow | FpFlags.Underflow)) != 0;
            if (unmaskedRange) { env.Flags &= ~FpFlags.Precision; env.RoundedUp = false; }
            SetRoundingC1(cpu, env);
            if (!Signal(cpu, env.Flags)) return;
            if (unmaskedRange) return;
        }
        bool user = cpu.Cpl == 3;
        switch (bytes)
        {
            case 2: cpu.WriteLinear(linear, (ushort)lo, user); break;
            case 4: cpu.WriteLinear(linear, (uint)lo, user); break;
            case 8: cpu.WriteLinear(linear, lo, user); break;
            default:
                cpu.WriteLinear(linear, lo, user);
                cpu.WriteLinear(cpu.Is64BitMode ? linear + 8 : (linear + 8) & 0xFFFF_FFFF, hi, user);
                break;
        }
        if (pop) Pop(cpu);
    }

    /// <summary>The masked invalid-operation result for a store: QNaN indefinite, integer indefinite or packed-BCD indefinite.</summary>
    static (ulong Lo, ushort Hi) IndefiniteFor(MemorySize size) => size switch
    {
        MemorySize.Float32 => (SoftFloat.DefaultNaN32, 0),
        MemorySize.Float64 => (SoftFloat.DefaultNaN64, 0),
        MemorySize.Float80 => (IndefiniteSig, IndefiniteSignExp),
        MemorySize.Int16 => (0x8000, 0),
        MemorySize.Int32 => (0x8000_0000, 0),
        MemorySize.Bcd => (0xC000_0000_0000_0000, 0xFFFF),
        _ => (0x8000_0000_0000_0000, 0),
    };

    // ------------------------------------------------------------------ one-operand instructions

    static void Unary(Cpu cpu, in Instruction i)
    {
        if (!cpu.CheckFpuAvailable()) return;
        var m = i.Mnemonic;
        Touch(cpu, i);
        if (OnHost(m)) { RunOnHost(cpu, m); return; }
        if (m == Mnemonic.Fxam)
        {
            ushort c1 = (Raw(cpu, 0).SignExp & 0x8000) != 0 ? X87Bits.C1 : (ushort)0;
            if (IsEmpty(cpu, 0)) { SetConditions(cpu, (ushort)(X87Bits.C3 | X87Bits.C0 | c1)); return; }
            var quiet = new FpEnv();
            var x = Read(cpu, 0, ref quiet);
            bool denormal = (Raw(cpu, 0).SignExp & 0x7FFF) == 0 && x.Class == FpClass.Normal;
            ushort cls = x.Class switch
            {
                FpClass.Unsupported => 0,
                FpClass.QNaN or FpClass.SNaN => X87Bits.C0,
                FpClass.Infinity => (ushort)(X87Bits.C2 | X87Bits.C0),
                FpClass.Zero => X87Bits.C3,
                _ => denormal ? (ushort)(X87Bits.C3 | X87Bits.C2) : X87Bits.C2,
            };
            SetConditions(cpu, (ushort)(cls | c1));
            return;
        }
        if (IsEmpty(cpu, 0))
        {
            if (StackFault(cpu, false)) Write(cpu, 0, Indefinite);
            return;
        }
        var env = Env(cpu);
        var (se, sig) = Raw(cpu, 0);
        switch (m)
        {
            case Mnemonic.Fchs: Write(cpu, 0, (ushort)(se ^ 0x8000), sig); cpu.Fsw &= unchecked((ushort)~X87Bits.C1); return;
            case Mnemonic.Fabs: Write(cpu, 0, (ushort)(se & 0x7FFF), sig); cpu.Fsw &= unchecked((ushort)~X87Bits.C1); return;
        }
        var v = Read(cpu, 0, ref env);
        FpBits r;
        switch (m)
        {
            case Mnemonic.Fsqrt: r = SoftFloat.Sqrt(v, PrecisionFormat(cpu), ref env); break;
            case Mnemonic.Frndint: r = SoftFloat.RoundToIntegral(v, FpFormat.Extended, env.Rounding, ref env); break;
            default:
                if (!Transcendental(cpu, m, v, ref env, out r)) return;
                break;
        }
        SoftFloat.Finish(ref env, 0, v, v);
        SetRoundingC1(cpu, env);
        if (!Signal(cpu, env.Flags)) return;
        Write(cpu, 0, r);
    }

    static void Fxch(Cpu cpu, in Instruction i)
    {
        if (!cpu.CheckFpuAvailable()) return;
        Touch(cpu, i);
        int s = i.OpCount > 1 ? St(i.Op1Register) : 1;
        if (IsEmpty(cpu, 0) || IsEmpty(cpu, s))
        {
            if (!StackFault(cpu, false)) return;
            if (IsEmpty(cpu, 0)) Write(cpu, 0, Indefinite);
            if (IsEmpty(cpu, s)) Write(cpu, s, Indefinite);
        }
        var a = Raw(cpu, 0);
        var b = Raw(cpu, s);
        Write(cpu, 0, b.SignExp, b.Sig);
        Write(cpu, s, a.SignExp, a.Sig);
        cpu.Fsw &= unchecked((ushort)~X87Bits.C1);
    }

    static void Fcmov(Cpu cpu, in Instruction i)
    {
        if (!cpu.CheckFpuAvailable()) return;
        Touch(cpu, i);
        int s = St(i.Op1Register);
        bool cond = i.Mnemonic switch
        {
            Mnemonic.Fcmovb => cpu.GetCarryFlag(),
            Mnemonic.Fcmove => cpu.GetZeroFlag(),
            Mnemonic.Fcmovbe => cpu.GetCarryFlag() || cpu.GetZeroFlag(),
            Mnemonic.Fcmovu => cpu.GetParityFlag(),
            Mnemonic.Fcmovnb => !cpu.GetCarryFlag(),
            Mnemonic.Fcmovne => !cpu.GetZeroFlag(),
            Mnemonic.Fcmovnbe => !cpu.GetCarryFlag() && !cpu.GetZeroFlag(),
            _ => !cpu.GetParityFlag(),
        };
        if (IsEmpty(cpu, 0) || IsEmpty(cpu, s))
        {
            if (StackFault(cpu, false)) Write(cpu, 0, Indefinite);
            return;
        }
        cpu.Fsw &= unchecked((ushort)~X87Bits.C1);
        if (cond) { var v = Raw(cpu, s); Write(cpu, 0, v.SignExp, v.Sig); }
    }

    static void Wait(Cpu cpu, in Instruction i) => cpu.CheckWait();
}
