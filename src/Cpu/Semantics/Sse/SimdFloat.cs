using System.Runtime.Intrinsics;
using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Fpu;
using JitVirt.Cpu.State;
using static JitVirt.Cpu.Semantics.Sse.VectorOperands;
using X86Sse = System.Runtime.Intrinsics.X86.Sse;

namespace JitVirt.Cpu.Semantics.Sse;

/// <summary>
/// SSE/SSE2 floating-point arithmetic, compares and conversions (SDM vol.1 §10.4, §11.4). All
/// results and MXCSR flags come from <see cref="SoftFloat"/>, so MXCSR rounding, DAZ and FTZ hold
/// exactly whatever the host's own MXCSR is. RCPPS/RSQRTPS are approximations whose exact bits
/// are implementation-specific: they use the host's instruction when there is one.
/// </summary>
static unsafe class SimdFloat
{
    enum Op : byte { None, Add, Sub, Mul, Div, Min, Max, Sqrt, Rcp, Rsqrt }
    enum Shape : byte { PS, SS, PD, SD }

    static readonly Op[] OpOf = new Op[HandlerTable.CodeCount];
    static readonly Shape[] ShapeOf = new Shape[HandlerTable.CodeCount];

    public static void Register()
    {
        (Mnemonic, Op, Shape)[] arith =
        {
            (Mnemonic.Addps, Op.Add, Shape.PS), (Mnemonic.Addss, Op.Add, Shape.SS), (Mnemonic.Addpd, Op.Add, Shape.PD), (Mnemonic.Addsd, Op.Add, Shape.SD),
            (Mnemonic.Subps, Op.Sub, Shape.PS), (Mnemonic.Subss, Op.Sub, Shape.SS), (Mnemonic.Subpd, Op.Sub, Shape.PD), (Mnemonic.Subsd, Op.Sub, Shape.SD),
            (Mnemonic.Mulps, Op.Mul, Shape.PS), (Mnemonic.Mulss, Op.Mul, Shape.SS), (Mnemonic.Mulpd, Op.Mul, Shape.PD), (Mnemonic.Mulsd, Op.Mul, Shape.SD),
            (Mnemonic.Divps, Op.Div, Shape.PS), (Mnemonic.Divss, Op.Div, Shape.SS), (Mnemonic.Divpd, Op.Div, Shape.PD), (Mnemonic.Divsd, Op.Div, Shape.SD),
            (Mnemonic.Minps, Op.Min, Shape.PS), (Mnemonic.Minss, Op.Min, Shape.SS), (Mnemonic.Minpd, Op.Min, Shape.PD), (Mnemonic.Minsd, Op.Min, Shape.SD),
            (Mnemonic.Maxps, Op.Max, Shape.PS), (Mnemonic.Maxss, Op.Max, Shape.SS), (Mnemonic.Maxpd, Op.Max, Shape.PD), (Mnemonic.Maxsd, Op.Max, Shape.SD),
            (Mnemonic.Sqrtps, Op.Sqrt, Shape.PS), (Mnemonic.Sqrtss, Op.Sqrt, Shape.SS), (Mnemonic.Sqrtpd, Op.Sqrt, Shape.PD), (Mnemonic.Sqrtsd, Op.Sqrt, Shape.SD),
            (Mnemonic.Rcpps, Op.Rcp, Shape.PS), (Mnemonic.Rcpss, Op.Rcp, Shape.SS), (Mnemonic.Rsqrtps, Op.Rsqrt, Shape.PS), (Mnemonic.Rsqrtss, Op.Rsqrt, Shape.SS),
        };
        foreach (var (m, op, shape) in arith)
            foreach (var code in HandlerTable.FormsOf(m))
            {
                if (!SseRegistry.IsOurs(code) || !code.ToString().Contains("xmm")) continue;
                OpOf[(int)code] = op;
                ShapeOf[(int)code] = shape;
                HandlerTable.Set(code, &Arithmetic);
            }
        (Mnemonic, Shape)[] compares =
        {
            (Mnemonic.Cmpps, Shape.PS), (Mnemonic.Cmpss, Shape.SS), (Mnemonic.Cmppd, Shape.PD), (Mnemonic.Cmpsd, Shape.SD),
        };
        foreach (var (m, shape) in compares)
            foreach (var code in HandlerTable.FormsOf(m))
            {
                if (!SseRegistry.IsOurs(code) || !code.ToString().Contains("xmm")) continue;
                ShapeOf[(int)code] = shape;
                HandlerTable.Set(code, &Compare);
            }
        SseRegistry.SetForms(Mnemonic.Comiss, &OrderedCompare);
        SseRegistry.SetForms(Mnemonic.Ucomiss, &OrderedCompare);
        SseRegistry.SetForms(Mnemonic.Comisd, &OrderedCompare);
        SseRegistry.SetForms(Mnemonic.Ucomisd, &OrderedCompare);
        foreach (var m in new[]
        {
            Mnemonic.Cvtsi2ss, Mnemonic.Cvtsi2sd, Mnemonic.Cvtss2si, Mnemonic.Cvttss2si, Mnemonic.Cvtsd2si, Mnemonic.Cvttsd2si,
            Mnemonic.Cvtss2sd, Mnemonic.Cvtsd2ss, Mnemonic.Cvtps2pd, Mnemonic.Cvtpd2ps, Mnemonic.Cvtdq2ps, Mnemonic.Cvtps2dq,
            Mnemonic.Cvttps2dq, Mnemonic.Cvtdq2pd, Mnemonic.Cvtpd2dq, Mnemonic.Cvttpd2dq, Mnemonic.Cvtpi2ps, Mnemonic.Cvtps2pi,
            Mnemonic.Cvttps2pi, Mnemonic.Cvtpi2pd, Mnemonic.Cvtpd2pi, Mnemonic.Cvttpd2pi,
        })
            SseRegistry.SetForms(m, &Convert);
        SseRegistry.SetForms(Mnemonic.Shufps, &Shuffle);
        SseRegistry.SetForms(Mnemonic.Shufpd, &Shuffle);
    }

    // ------------------------------------------------------------------ arithmetic

    static void Arithmetic(Cpu cpu, in Instruction i)
    {
        if (!cpu.CheckSseAvailable()) return;
        if (!TryRead(cpu, i, 1, out var b)) return;
        int d = XmmIndex(i.Op0Register);
        var a = cpu.Xmm[d];
        var env = Env(cpu);
        var r = Compute(OpOf[(int)i.Code], ShapeOf[(int)i.Code], a, b, ref env);
        if (!CommitFlags(cpu, env.Flags)) return;
        cpu.Xmm[d] = r;
    }

    static Vector128<byte> Compute(Op op, Shape shape, Vector128<byte> a, Vector128<byte> b, ref FpEnv env)
    {
        if (op is Op.Rcp or Op.Rsqrt) return Approximate(op, shape, a, b);
        if (shape is Shape.PS or Shape.SS)
        {
            var x = a.AsUInt32(); var y = b.AsUInt32();
            int n = shape == Shape.PS ? 4 : 1;
            for (int k = 0; k < n; k++) x = x.WithElement(k, Single(op, x.GetElement(k), y.GetElement(k), ref env));
            return x.AsByte();
        }
        else
        {
            var x = a.AsUInt64(); var y = b.AsUInt64();
            int n = shape == Shape.PD ? 2 : 1;
            for (int k = 0; k < n; k++) x = x.WithElement(k, Double(op, x.GetElement(k), y.GetElement(k), ref env));
            return x.AsByte();
        }
    }

    static uint Single(Op op, uint a, uint b, ref FpEnv env) => op switch
    {
        Op.Add => SoftFloat.Add32(a, b, ref env),
        Op.Sub => SoftFloat.Sub32(a, b, ref env),
        Op.Mul => SoftFloat.Mul32(a, b, ref env),
        Op.Div => SoftFloat.Div32(a, b, ref env),
        Op.Min => SoftFloat.Min32(a, b, ref env),
        Op.Max => SoftFloat.Max32(a, b, ref env),
        _ => SoftFloat.Sqrt32(b, ref env),
    };

    static ulong Double(Op op, ulong a, ulong b, ref FpEnv env) => op switch
    {
        Op.Add => SoftFloat.Add64(a, b, ref env),
        Op.Sub => SoftFloat.Sub64(a, b, ref env),
        Op.Mul => SoftFloat.Mul64(a, b, ref env),
        Op.Div => SoftFloat.Div64(a, b, ref env),
        Op.Min => SoftFloat.Min64(a, b, ref env),
        Op.Max => SoftFloat.Max64(a, b, ref env),
        _ => SoftFloat.Sqrt64(b, ref env),
    };

    /// <summary>RCP/RSQRT: the host's approximation when available (MXCSR does not affect them), else 1/x or 1/√x rounded to 12 bits.</summary>
    static Vector128<byte> Approximate(Op op, Shape shape, Vector128<byte> a, Vector128<byte> b)
    {
        Vector128<float> r;
        if (X86Sse.IsSupported)
            r = op == Op.Rcp ? X86Sse.Reciprocal(b.AsSingle()) : X86Sse.ReciprocalSqrt(b.AsSingle());
        else
        {
            var s = b.AsSingle();
            r = Vector128<float>.Zero;
            for (int k = 0; k < 4; k++)
            {
                float v = s.GetElement(k);
                if (float.IsSubnormal(v)) v = v < 0 || float.IsNegative(v) ? -0f : 0f;
                float e = op == Op.Rcp ? 1f / v : 1f / MathF.Sqrt(v);
                if (float.IsFinite(e)) e = BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(e) & 0xFFFF_F000);
                if (float.IsSubnormal(e)) e = float.IsNegative(e) ? -0f : 0f;
                r = r.WithElement(k, e);
            }
        }
        if (shape == Shape.SS) return a.AsUInt32().WithElement(0, r.AsUInt32().GetElement(0)).AsByte();
        return r.AsByte();
    }

    // ------------------------------------------------------------------ compares

    /// <summary>CMPPS/CMPSS/CMPPD/CMPSD with predicates 0–7 (SDM vol.2 CMPPS, Table 3-1): all ones or zeros per element.</summary>
    static void Compare(Cpu cpu, in Instruction i)
    {
        if (!cpu.CheckSseAvailable()) return;
        if (!TryRead(cpu, i, 1, out var b)) return;
        int d = XmmIndex(i.Op0Register);
        var a = cpu.Xmm[d];
        int pred = i.Immediate8 & 7;
        bool signaling = pred is 1 or 2 or 5 or 6;
        var env = Env(cpu);
        var shape = ShapeOf[(int)i.Code];
        Vector128<byte> r;
        if (shape is Shape.PS or Shape.SS)
        {
            var x = a.AsUInt32(); var y = b.AsUInt32();
            int n = shape == Shape.PS ? 4 : 1;
            for (int k = 0; k < n; k++)
            {
                int c = SoftFloat.Compare32(x.GetElement(k), y.GetElement(k), signaling, ref env);
                x = x.WithElement(k, Predicate(pred, c) ? uint.MaxValue : 0u);
            }
            r = x.AsByte();
        }
        else
        {
            var x = a.AsUInt64(); var y = b.AsUInt64();
            int n = shape == Shape.PD ? 2 : 1;
            for (int k = 0; k < n; k++)
            {
                int c = SoftFloat.Compare64(x.GetElement(k), y.GetElement(k), signaling, ref env);
                x = x.WithElement(k, Predicate(pred, c) ? ulong.MaxValue : 0ul);
            }
            r = x.AsByte();
        }
        if (!CommitFlags(cpu, env.Flags)) return;
        cpu.Xmm[d] = r;
    }

    /// <summary>Predicate <paramref name="pred"/> on an ordering (-1, 0, 1, or 2 = unordered).</summary>
    public static bool Predicate(int pred, int c) => pred switch
    {
        0 => c == 0,
        1 => c == -1,
        2 => c is -1 or 0,
        3 => c == 2,
        4 => c != 0,
        5 => c != -1,
        6 => c is 1 or 2,
        _ => c != 2,
    };

    /// <summary>COMISS/UCOMISS/COMISD/UCOMISD: ZF, PF, CF from the ordering; OF, SF, AF cleared (SDM vol.2 COMISS).</summary>
    static void OrderedCompare(Cpu cpu, in Instruction i)
    {
        if (!cpu.CheckSseAvailable()) return;
        if (!TryRead(cpu, i, 1, out var b)) return;
        var a = cpu.Xmm[XmmIndex(i.Op0Register)];
        var env = Env(cpu);
        bool signaling = i.Mnemonic is Mnemonic.Comiss or Mnemonic.Comisd;
        int c = i.Mnemonic is Mnemonic.Comiss or Mnemonic.Ucomiss
            ? SoftFloat.Compare32(a.AsUInt32().GetElement(0), b.AsUInt32().GetElement(0), signaling, ref env)
            : SoftFloat.Compare64(a.AsUInt64().GetElement(0), b.AsUInt64().GetElement(0), signaling, ref env);
        if (!CommitFlags(cpu, env.Flags)) return;
        ulong f = c switch { 2 => Rflags.ZF | Rflags.PF | Rflags.CF, -1 => Rflags.CF, 0 => Rflags.ZF, _ => 0 };
        cpu.SetArithmeticFlags(Rflags.Arithmetic, f);
    }

    // ------------------------------------------------------------------ shuffles

    static void Shuffle(Cpu cpu, in Instruction i)
    {
        if (!cpu.CheckSseAvailable()) return;
        if (!TryRead(cpu, i, 1, out var b)) return;
        int d = XmmIndex(i.Op0Register);
        var a = cpu.Xmm[d];
        int imm = i.Immediate8;
        if (i.Mnemonic == Mnemonic.Shufps)
        {
            var x = a.AsUInt32(); var y = b.AsUInt32();
            cpu.Xmm[d] = Vector128.Create(x.GetElement(imm & 3), x.GetElement((imm >> 2) & 3), y.GetElement((imm >> 4) & 3), y.GetElement((imm >> 6) & 3)).AsByte();
        }
        else
        {
            var x = a.AsUInt64(); var y = b.AsUInt64();
            cpu.Xmm[d] = Vector128.Create(x.GetElement(imm & 1), y.GetElement((imm >> 1) & 1)).AsByte();
        }
    }

    // ------------------------------------------------------------------ conversions

    /// <summary>Checks for conversions with an MMX operand: SSE availability, then a pending x87 exception (#MF).</summary>
    static bool CheckSseWithMmx(Cpu cpu)
    {
        if (!cpu.CheckSseAvailable()) return false;
        if ((cpu.Fsw & 0x80) != 0 && (cpu.Cr0 & Cr0.NE) != 0) { cpu.RaiseFault(ExceptionVector.FloatingPointError); return false; }
        return true;
    }

    static void Convert(Cpu cpu, in Instruction i)
    {
        var m = i.Mnemonic;
        bool mmxDst = IsMmx(i.Op0Register);
        bool mmxSrc = i.Op1Kind == OpKind.Register && IsMmx(i.Op1Register);
        // Only an MMX register operand makes the x87 transition and its pending-#MF check; CVTPI2PS/
        // CVTPI2PD from m64 are plain SSE/SSE2 loads (SDM vol.2 CVTPI2PS, Table 22-5 vs. 22-4).
        if (mmxDst || mmxSrc) { if (!CheckSseWithMmx(cpu)) return; }
        else if (!cpu.CheckSseAvailable()) return;
        if (!TryRead(cpu, i, 1, out var src)) return;
        var env = Env(cpu);
        var s32 = src.AsUInt32();
        var s64 = src.AsUInt64();
        Vector128<byte> dst = IsXmm(i.Op0Register) ? cpu.Xmm[XmmIndex(i.Op0Register)] : default;
        var d32 = dst.AsUInt32();
        var d64 = dst.AsUInt64();
        ulong gpr = 0;
        var rm = env.Rounding;
        switch (m)
        {
            case Mnemonic.Cvtsi2ss:
            case Mnemonic.Cvtsi2sd:
            {
                int width = i.Op1Kind == OpKind.Register ? RegisterWidth(i.Op1Register) : MemorySize(i);
                long v = width == 8 ? (long)s64.GetElement(0) : (int)s32.GetElement(0);
                if (m == Mnemonic.Cvtsi2ss) d32 = d32.WithElement(0, SoftFloat.Pack32(SoftFloat.FromInt64(v, FpFormat.Single, ref env)));
                else d64 = d64.WithElement(0, SoftFloat.Pack64(SoftFloat.FromInt64(v, FpFormat.Double, ref env)));
                dst = m == Mnemonic.Cvtsi2ss ? d32.AsByte() : d64.AsByte();
                break;
            }
            case Mnemonic.Cvtss2si: case Mnemonic.Cvttss2si:
            case Mnemonic.Cvtsd2si: case Mnemonic.Cvttsd2si:
            {
                int bits = RegisterWidth(i.Op0Register) * 8;
                var mode = m is Mnemonic.Cvttss2si or Mnemonic.Cvttsd2si ? RoundingMode.TowardZero : rm;
                var v = m is Mnemonic.Cvtss2si or Mnemonic.Cvttss2si ? SoftFloat.Unpack32(s32.GetElement(0), ref env) : SoftFloat.Unpack64(s64.GetElement(0), ref env);
                gpr = (ulong)SoftFloat.ToInt(v, bits, mode, ref env);
                break;
            }
            case Mnemonic.Cvtss2sd:
                dst = d64.WithElement(0, SoftFloat.Float32To64(s32.GetElement(0), ref env)).AsByte();
                break;
            case Mnemonic.Cvtsd2ss:
                dst = d32.WithElement(0, SoftFloat.Float64To32(s64.GetElement(0), ref env)).AsByte();
                break;
            case Mnemonic.Cvtps2pd:
            {
                ulong lo = SoftFloat.Float32To64(s32.GetElement(0), ref env);
                ulong hi = SoftFloat.Float32To64(s32.GetElement(1), ref env);
                dst = Vector128.Create(lo, hi).AsByte();
                break;
            }
            case Mnemonic.Cvtpd2ps:
            {
                uint lo = SoftFloat.Float64To32(s64.GetElement(0), ref env);
                uint hi = SoftFloat.Float64To32(s64.GetElement(1), ref env);
                dst = Vector128.Create(lo, hi, 0u, 0u).AsByte();
                break;
            }
            case Mnemonic.Cvtdq2ps:
            {
                var r = Vector128<uint>.Zero;
                for (int k = 0; k < 4; k++) r = r.WithElement(k, SoftFloat.Pack32(SoftFloat.FromInt64((int)s32.GetElement(k), FpFormat.Single, ref env)));
                dst = r.AsByte();
                break;
            }
            case Mnemonic.Cvtps2dq: case Mnemonic.Cvttps2dq:
            case Mnemonic.Cvtps2pi: case Mnemonic.Cvttps2pi:
            {
                var mode = m is Mnemonic.Cvttps2dq or Mnemonic.Cvttps2pi ? RoundingMode.TowardZero : rm;
                int n = m is Mnemonic.Cvtps2dq or Mnemonic.Cvttps2dq ? 4 : 2;
                var r = Vector128<uint>.Zero;
                for (int k = 0; k < n; k++) r = r.WithElement(k, (uint)SoftFloat.ToInt(SoftFloat.Unpack32(s32.GetElement(k), ref env), 32, mode, ref env));
                dst = r.AsByte();
                break;
            }
            case Mnemonic.Cvtpd2dq: case Mnemonic.Cvttpd2dq:
            case Mnemonic.Cvtpd2pi: case Mnemonic.Cvttpd2pi:
            {
                var mode = m is Mnemonic.Cvttpd2dq or Mnemonic.Cvttpd2pi ? RoundingMode.TowardZero : rm;
                var r = Vector128<uint>.Zero;
                for (int k = 0; k < 2; k++) r = r.WithElement(k, (uint)SoftFloat.ToInt(SoftFloat.Unpack64(s64.GetElement(k), ref env), 32, mode, ref env));
                dst = r.AsByte();
                break;
            }
            case Mnemonic.Cvtdq2pd: case Mnemonic.Cvtpi2pd:
            {
                ulong lo = SoftFloat.Pack64(SoftFloat.FromInt64((int)s32.GetElement(0), FpFormat.Double, ref env));
                ulong hi = SoftFloat.Pack64(SoftFloat.FromInt64((int)s32.GetElement(1), FpFormat.Double, ref env));
                dst = Vector128.Create(lo, hi).AsByte();
                break;
            }
            case Mnemonic.Cvtpi2ps:
            {
                uint lo = SoftFloat.Pack32(SoftFloat.FromInt64((int)s32.GetElement(0), FpFormat.Single, ref env));
                uint hi = SoftFloat.Pack32(SoftFloat.FromInt64((int)s32.GetElement(1), FpFormat.Single, ref env));
                dst = d32.WithElement(0, lo).WithElement(1, hi).AsByte();
                break;
            }
        }
        // Conversions to integers report no denormal-operand exception (SDM vol.2 CVTSS2SI: Invalid, Precision).
        if (m is Mnemonic.Cvtss2si or Mnemonic.Cvttss2si or Mnemonic.Cvtsd2si or Mnemonic.Cvttsd2si or Mnemonic.Cvtps2dq or Mnemonic.Cvttps2dq
            or Mnemonic.Cvtps2pi or Mnemonic.Cvttps2pi or Mnemonic.Cvtpd2dq or Mnemonic.Cvttpd2dq or Mnemonic.Cvtpd2pi or Mnemonic.Cvttpd2pi)
            env.Flags &= ~FpFlags.Denormal;
        if (!CommitFlags(cpu, env.Flags)) return;
        if (mmxDst || mmxSrc) cpu.EnterMmxMode();
        var dr = i.Op0Register;
        if (IsXmm(dr)) cpu.Xmm[XmmIndex(dr)] = dst;
        else if (IsMmx(dr)) cpu.WriteMmx(MmIndex(dr), dst.AsUInt64().GetElement(0));
        else cpu.WriteRegisterSized(dr, gpr);
    }

    static int RegisterWidth(Register r) => r.GetSize();
}
