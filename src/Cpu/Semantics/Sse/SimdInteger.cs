using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Iced.Intel;
using JitVirt.Cpu.Execution;
using static JitVirt.Cpu.Semantics.Sse.VectorOperands;

namespace JitVirt.Cpu.Semantics.Sse;

/// <summary>
/// MMX and SSE2 packed-integer instructions (SDM vol.1 ch.9, §11.4.3; vol.2 P*). One pure function
/// <see cref="Compute"/> gives each operation's result on 64-bit (MMX) or 128-bit (XMM) operands;
/// the handlers only move operands and apply the MMX/SSE availability rules.
/// </summary>
static unsafe class SimdInteger
{
    static readonly Mnemonic[] BinaryOps =
    {
        Mnemonic.Paddb, Mnemonic.Paddw, Mnemonic.Paddd, Mnemonic.Paddq,
        Mnemonic.Paddsb, Mnemonic.Paddsw, Mnemonic.Paddusb, Mnemonic.Paddusw,
        Mnemonic.Psubb, Mnemonic.Psubw, Mnemonic.Psubd, Mnemonic.Psubq,
        Mnemonic.Psubsb, Mnemonic.Psubsw, Mnemonic.Psubusb, Mnemonic.Psubusw,
        Mnemonic.Pmullw, Mnemonic.Pmulhw, Mnemonic.Pmulhuw, Mnemonic.Pmuludq, Mnemonic.Pmaddwd,
        Mnemonic.Psadbw, Mnemonic.Pavgb, Mnemonic.Pavgw,
        Mnemonic.Pmaxub, Mnemonic.Pmaxsw, Mnemonic.Pminub, Mnemonic.Pminsw,
        Mnemonic.Pand, Mnemonic.Pandn, Mnemonic.Por, Mnemonic.Pxor,
        Mnemonic.Pcmpeqb, Mnemonic.Pcmpeqw, Mnemonic.Pcmpeqd,
        Mnemonic.Pcmpgtb, Mnemonic.Pcmpgtw, Mnemonic.Pcmpgtd,
        Mnemonic.Packsswb, Mnemonic.Packssdw, Mnemonic.Packuswb,
        Mnemonic.Punpcklbw, Mnemonic.Punpcklwd, Mnemonic.Punpckldq, Mnemonic.Punpcklqdq,
        Mnemonic.Punpckhbw, Mnemonic.Punpckhwd, Mnemonic.Punpckhdq, Mnemonic.Punpckhqdq,
        Mnemonic.Psllw, Mnemonic.Pslld, Mnemonic.Psllq, Mnemonic.Psrlw, Mnemonic.Psrld, Mnemonic.Psrlq,
        Mnemonic.Psraw, Mnemonic.Psrad,
        // SSE/SSE2 bitwise and unpack forms on packed floating-point data: the same bit operations.
        Mnemonic.Andps, Mnemonic.Andpd, Mnemonic.Andnps, Mnemonic.Andnpd, Mnemonic.Orps, Mnemonic.Orpd,
        Mnemonic.Xorps, Mnemonic.Xorpd, Mnemonic.Unpcklps, Mnemonic.Unpckhps, Mnemonic.Unpcklpd, Mnemonic.Unpckhpd,
    };

    public static void Register()
    {
        foreach (var m in BinaryOps) SseRegistry.SetForms(m, &Binary);
        SseRegistry.SetForms(Mnemonic.Pslldq, &Binary);
        SseRegistry.SetForms(Mnemonic.Psrldq, &Binary);
        SseRegistry.SetForms(Mnemonic.Pshufw, &Shuffle);
        SseRegistry.SetForms(Mnemonic.Pshufd, &Shuffle);
        SseRegistry.SetForms(Mnemonic.Pshufhw, &Shuffle);
        SseRegistry.SetForms(Mnemonic.Pshuflw, &Shuffle);
        SseRegistry.SetForms(Mnemonic.Pmovmskb, &Pmovmskb);
        SseRegistry.SetForms(Mnemonic.Pextrw, &Pextrw);
        SseRegistry.SetForms(Mnemonic.Pinsrw, &Pinsrw);
        SseRegistry.SetForms(Mnemonic.Emms, &Emms);
    }

    // ------------------------------------------------------------------ handlers

    /// <summary>Availability checks for an instruction whose destination or source is an MMX or XMM register.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static bool Check(Cpu cpu, bool mmx) => mmx ? cpu.CheckMmxAvailable() : cpu.CheckSseAvailable();

    static void Binary(Cpu cpu, in Instruction i)
    {
        var dst = i.Op0Register;
        bool mmx = IsMmx(dst);
        if (!Check(cpu, mmx)) return;
        if (!TryRead(cpu, i, 1, out var b)) return;
        if (mmx)
        {
            var a = Vector128.CreateScalar(cpu.ReadMmx(MmIndex(dst))).AsByte();
            cpu.EnterMmxMode();
            cpu.WriteMmx(MmIndex(dst), Compute(i.Mnemonic, a, b, 8).AsUInt64().GetElement(0));
        }
        else
        {
            ref var d = ref cpu.Xmm[XmmIndex(dst)];
            d = Compute(i.Mnemonic, d, b, 16);
        }
    }

    static void Shuffle(Cpu cpu, in Instruction i)
    {
        var dst = i.Op0Register;
        bool mmx = IsMmx(dst);
        if (!Check(cpu, mmx)) return;
        if (!TryRead(cpu, i, 1, out var src)) return;
        int imm = i.Immediate8;
        if (mmx)
        {
            ulong s = src.AsUInt64().GetElement(0), r = 0;
            for (int k = 0; k < 4; k++) r |= ((s >> (16 * ((imm >> (2 * k)) & 3))) & 0xFFFF) << (16 * k);
            cpu.EnterMmxMode();
            cpu.WriteMmx(MmIndex(dst), r);
            return;
        }
        cpu.Xmm[XmmIndex(dst)] = ShuffleXmm(i.Mnemonic, src, imm);
    }

    public static Vector128<byte> ShuffleXmm(Mnemonic m, Vector128<byte> src, int imm)
    {
        if (m == Mnemonic.Pshufd)
        {
            var s = src.AsUInt32();
            return Vector128.Create(s.GetElement(imm & 3), s.GetElement((imm >> 2) & 3), s.GetElement((imm >> 4) & 3), s.GetElement((imm >> 6) & 3)).AsByte();
        }
        var w = src.AsUInt16();
        Span<ushort> r = stackalloc ushort[8];
        for (int k = 0; k < 8; k++) r[k] = w.GetElement(k);
        int baseIndex = m == Mnemonic.Pshufhw ? 4 : 0;
        for (int k = 0; k < 4; k++) r[baseIndex + k] = w.GetElement(baseIndex + ((imm >> (2 * k)) & 3));
        return Vector128.Create<ushort>(r).AsByte();
    }

    static void Pmovmskb(Cpu cpu, in Instruction i)
    {
        var src = i.Op1Register;
        bool mmx = IsMmx(src);
        if (!Check(cpu, mmx)) return;
        uint mask;
        if (mmx)
        {
            ulong v = cpu.ReadMmx(MmIndex(src));
            mask = 0;
            for (int k = 0; k < 8; k++) mask |= (uint)((v >> (8 * k + 7)) & 1) << k;
            cpu.EnterMmxMode();
        }
        else mask = Vector128.ExtractMostSignificantBits(cpu.Xmm[XmmIndex(src)]);
        cpu.WriteRegisterSized(i.Op0Register, mask);
    }

    static void Pextrw(Cpu cpu, in Instruction i)
    {
        var src = i.Op1Register;
        bool mmx = IsMmx(src);
        if (!Check(cpu, mmx)) return;
        int sel = i.Immediate8;
        uint w;
        if (mmx)
        {
            w = (uint)(cpu.ReadMmx(MmIndex(src)) >> (16 * (sel & 3))) & 0xFFFF;
            cpu.EnterMmxMode();
        }
        else w = cpu.Xmm[XmmIndex(src)].AsUInt16().GetElement(sel & 7);
        cpu.WriteRegisterSized(i.Op0Register, w);
    }

    static void Pinsrw(Cpu cpu, in Instruction i)
    {
        var dst = i.Op0Register;
        bool mmx = IsMmx(dst);
        if (!Check(cpu, mmx)) return;
        ushort w;
        if (i.Op1Kind == OpKind.Register) w = (ushort)cpu.ReadRegisterZx(i.Op1Register);
        else
        {
            w = cpu.Read<ushort>(Cpu.MemorySegment(i), cpu.EffectiveAddress(i));
            if (cpu.Faulted) return;
        }
        int sel = i.Immediate8;
        if (mmx)
        {
            int sh = 16 * (sel & 3);
            ulong v = (cpu.ReadMmx(MmIndex(dst)) & ~(0xFFFFul << sh)) | ((ulong)w << sh);
            cpu.EnterMmxMode();
            cpu.WriteMmx(MmIndex(dst), v);
        }
        else
        {
            ref var d = ref cpu.Xmm[XmmIndex(dst)];
            d = d.AsUInt16().WithElement(sel & 7, w).AsByte();
        }
    }

    /// <summary>EMMS: all x87 tags empty (SDM vol.2 EMMS). EM → #UD, TS → #NM, pending x87 exception → #MF.</summary>
    static void Emms(Cpu cpu, in Instruction i)
    {
        if (!cpu.CheckMmxAvailable()) return;
        cpu.FpuTagValid = 0;
    }

    // ------------------------------------------------------------------ the operations

    /// <summary>
    /// The result of packed-integer operation <paramref name="m"/> on <paramref name="a"/> (destination)
    /// and <paramref name="b"/> (source; for shifts the count, as a register/memory value or imm8) for an
    /// operand width of <paramref name="width"/> bytes (8 for MMX, 16 for XMM). For MMX the upper half
    /// of the inputs is zero and that of the result is ignored.
    /// </summary>
    public static Vector128<byte> Compute(Mnemonic m, Vector128<byte> a, Vector128<byte> b, int width)
    {
        switch (m)
        {
            case Mnemonic.Paddb: return Vector128.Add(a, b);
            case Mnemonic.Paddw: return Vector128.Add(a.AsUInt16(), b.AsUInt16()).AsByte();
            case Mnemonic.Paddd: return Vector128.Add(a.AsUInt32(), b.AsUInt32()).AsByte();
            case Mnemonic.Paddq: return Vector128.Add(a.AsUInt64(), b.AsUInt64()).AsByte();
            case Mnemonic.Psubb: return Vector128.Subtract(a, b);
            case Mnemonic.Psubw: return Vector128.Subtract(a.AsUInt16(), b.AsUInt16()).AsByte();
            case Mnemonic.Psubd: return Vector128.Subtract(a.AsUInt32(), b.AsUInt32()).AsByte();
            case Mnemonic.Psubq: return Vector128.Subtract(a.AsUInt64(), b.AsUInt64()).AsByte();
            case Mnemonic.Pand: case Mnemonic.Andps: case Mnemonic.Andpd: return a & b;
            case Mnemonic.Pandn: case Mnemonic.Andnps: case Mnemonic.Andnpd: return Vector128.AndNot(b, a);
            case Mnemonic.Por: case Mnemonic.Orps: case Mnemonic.Orpd: return a | b;
            case Mnemonic.Pxor: case Mnemonic.Xorps: case Mnemonic.Xorpd: return a ^ b;
            case Mnemonic.Pcmpeqb: return Vector128.Equals(a, b);
            case Mnemonic.Pcmpeqw: return Vector128.Equals(a.AsUInt16(), b.AsUInt16()).AsByte();
            case Mnemonic.Pcmpeqd: return Vector128.Equals(a.AsUInt32(), b.AsUInt32()).AsByte();
            case Mnemonic.Pcmpgtb: return Vector128.GreaterThan(a.AsSByte(), b.AsSByte()).AsByte();
            case Mnemonic.Pcmpgtw: return Vector128.GreaterThan(a.AsInt16(), b.AsInt16()).AsByte();
            case Mnemonic.Pcmpgtd: return Vector128.GreaterThan(a.AsInt32(), b.AsInt32()).AsByte();
            case Mnemonic.Pmaxub: return Vector128.Max(a, b);
            case Mnemonic.Pminub: return Vector128.Min(a, b);
            case Mnemonic.Pmaxsw: return Vector128.Max(a.AsInt16(), b.AsInt16()).AsByte();
            case Mnemonic.Pminsw: return Vector128.Min(a.AsInt16(), b.AsInt16()).AsByte();
            case Mnemonic.Pmullw: return Vector128.Multiply(a.AsInt16(), b.AsInt16()).AsByte();
        }
        Span<byte> r = stackalloc byte[16];
        r.Clear();
        Span<byte> x = stackalloc byte[16];
        Span<byte> y = stackalloc byte[16];
        a.CopyTo(x);
        b.CopyTo(y);
        var xs = MemoryMarshal.Cast<byte, sbyte>(x); var ys = MemoryMarshal.Cast<byte, sbyte>(y);
        var xw = MemoryMarshal.Cast<byte, short>(x); var yw = MemoryMarshal.Cast<byte, short>(y);
        var xuw = MemoryMarshal.Cast<byte, ushort>(x); var yuw = MemoryMarshal.Cast<byte, ushort>(y);
        var xd = MemoryMarshal.Cast<byte, int>(x); var yd = MemoryMarshal.Cast<byte, int>(y);
        var xud = MemoryMarshal.Cast<byte, uint>(x); var yud = MemoryMarshal.Cast<byte, uint>(y);
        var rs = MemoryMarshal.Cast<byte, sbyte>(r);
        var rw = MemoryMarshal.Cast<byte, short>(r);
        var ruw = MemoryMarshal.Cast<byte, ushort>(r);
        var rd = MemoryMarshal.Cast<byte, int>(r);
        var rq = MemoryMarshal.Cast<byte, ulong>(r);
        var xq = MemoryMarshal.Cast<byte, ulong>(x);
        int nb = width, nw = width / 2, nd = width / 4, nq = width / 8;
        ulong count = MemoryMarshal.Cast<byte, ulong>(y)[0];
        switch (m)
        {
            case Mnemonic.Paddsb: for (int k = 0; k < nb; k++) rs[k] = (sbyte)Math.Clamp(xs[k] + ys[k], -128, 127); break;
            case Mnemonic.Psubsb: for (int k = 0; k < nb; k++) rs[k] = (sbyte)Math.Clamp(xs[k] - ys[k], -128, 127); break;
            case Mnemonic.Paddusb: for (int k = 0; k < nb; k++) r[k] = (byte)Math.Min(x[k] + y[k], 255); break;
            case Mnemonic.Psubusb: for (int k = 0; k < nb; k++) r[k] = (byte)Math.Max(x[k] - y[k], 0); break;
            case Mnemonic.Paddsw: for (int k = 0; k < nw; k++) rw[k] = (short)Math.Clamp(xw[k] + yw[k], -32768, 32767); break;
            case Mnemonic.Psubsw: for (int k = 0; k < nw; k++) rw[k] = (short)Math.Clamp(xw[k] - yw[k], -32768, 32767); break;
            case Mnemonic.Paddusw: for (int k = 0; k < nw; k++) ruw[k] = (ushort)Math.Min(xuw[k] + yuw[k], 65535); break;
            case Mnemonic.Psubusw: for (int k = 0; k < nw; k++) ruw[k] = (ushort)Math.Max(xuw[k] - yuw[k], 0); break;
            case Mnemonic.Pmulhw: for (int k = 0; k < nw; k++) rw[k] = (short)((xw[k] * yw[k]) >> 16); break;
            case Mnemonic.Pmulhuw: for (int k = 0; k < nw; k++) ruw[k] = (ushort)(((uint)xuw[k] * yuw[k]) >> 16); break;
            case Mnemonic.Pmuludq: for (int k = 0; k < nq; k++) rq[k] = (ulong)xud[2 * k] * yud[2 * k]; break;
            case Mnemonic.Pmaddwd: for (int k = 0; k < nd; k++) rd[k] = (int)unchecked((uint)(xw[2 * k] * yw[2 * k]) + (uint)(xw[2 * k + 1] * yw[2 * k + 1])); break;
            case Mnemonic.Psadbw:
                for (int q = 0; q < nq; q++)
                {
                    int sum = 0;
                    for (int k = 0; k < 8; k++) sum += Math.Abs(x[8 * q + k] - y[8 * q + k]);
                    rq[q] = (ulong)sum;
                }
                break;
            case Mnemonic.Pavgb: for (int k = 0; k < nb; k++) r[k] = (byte)((x[k] + y[k] + 1) >> 1); break;
            case Mnemonic.Pavgw: for (int k = 0; k < nw; k++) ruw[k] = (ushort)((xuw[k] + yuw[k] + 1) >> 1); break;
            case Mnemonic.Packsswb:
                for (int k = 0; k < nw; k++) { rs[k] = (sbyte)Math.Clamp((int)xw[k], -128, 127); rs[nw + k] = (sbyte)Math.Clamp((int)yw[k], -128, 127); }
                break;
            case Mnemonic.Packuswb:
                for (int k = 0; k < nw; k++) { r[k] = (byte)Math.Clamp((int)xw[k], 0, 255); r[nw + k] = (byte)Math.Clamp((int)yw[k], 0, 255); }
                break;
            case Mnemonic.Packssdw:
                for (int k = 0; k < nd; k++) { rw[k] = (short)Math.Clamp(xd[k], -32768, 32767); rw[nd + k] = (short)Math.Clamp(yd[k], -32768, 32767); }
                break;
            case Mnemonic.Punpcklbw: Interleave(x, y, r, 1, 0, width); break;
            case Mnemonic.Punpckhbw: Interleave(x, y, r, 1, width / 2, width); break;
            case Mnemonic.Punpcklwd: Interleave(x, y, r, 2, 0, width); break;
            case Mnemonic.Punpckhwd: Interleave(x, y, r, 2, width / 2, width); break;
            case Mnemonic.Punpckldq: case Mnemonic.Unpcklps: Interleave(x, y, r, 4, 0, width); break;
            case Mnemonic.Punpckhdq: case Mnemonic.Unpckhps: Interleave(x, y, r, 4, width / 2, width); break;
            case Mnemonic.Punpcklqdq: case Mnemonic.Unpcklpd: Interleave(x, y, r, 8, 0, width); break;
            case Mnemonic.Punpckhqdq: case Mnemonic.Unpckhpd: Interleave(x, y, r, 8, width / 2, width); break;
            case Mnemonic.Psllw: for (int k = 0; k < nw; k++) ruw[k] = count > 15 ? (ushort)0 : (ushort)(xuw[k] << (int)count); break;
            case Mnemonic.Psrlw: for (int k = 0; k < nw; k++) ruw[k] = count > 15 ? (ushort)0 : (ushort)(xuw[k] >> (int)count); break;
            case Mnemonic.Psraw: for (int k = 0; k < nw; k++) rw[k] = (short)(xw[k] >> (int)Math.Min(count, 15)); break;
            case Mnemonic.Pslld: for (int k = 0; k < nd; k++) rd[k] = count > 31 ? 0 : (int)(xud[k] << (int)count); break;
            case Mnemonic.Psrld: for (int k = 0; k < nd; k++) rd[k] = count > 31 ? 0 : (int)(xud[k] >> (int)count); break;
            case Mnemonic.Psrad: for (int k = 0; k < nd; k++) rd[k] = xd[k] >> (int)Math.Min(count, 31); break;
            case Mnemonic.Psllq: for (int k = 0; k < nq; k++) rq[k] = count > 63 ? 0 : xq[k] << (int)count; break;
            case Mnemonic.Psrlq: for (int k = 0; k < nq; k++) rq[k] = count > 63 ? 0 : xq[k] >> (int)count; break;
            case Mnemonic.Pslldq:
                if (count < 16) for (int k = (int)count; k < 16; k++) r[k] = x[k - (int)count];
                break;
            case Mnemonic.Psrldq:
                if (count < 16) for (int k = 0; k < 16 - (int)count; k++) r[k] = x[k + (int)count];
                break;
            default: throw new InvalidOperationException($"not a packed-integer operation: {m}");
        }
        return Vector128.Create<byte>(r);
    }

    /// <summary>PUNPCKxxx: interleaves elements of <paramref name="size"/> bytes from byte <paramref name="from"/> of both operands.</summary>
    static void Interleave(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y, Span<byte> r, int size, int from, int width)
    {
        int n = width / 2 / size;
        for (int k = 0; k < n; k++)
        {
            x.Slice(from + k * size, size).CopyTo(r.Slice(2 * k * size, size));
            y.Slice(from + k * size, size).CopyTo(r.Slice((2 * k + 1) * size, size));
        }
    }
}

/// <summary>Registers every legacy-encoded MMX/SSE/SSE2 form of a mnemonic with one handler.</summary>
public static unsafe class SseRegistry
{
    static readonly HashSet<CpuidFeature> Allowed = new()
    {
        CpuidFeature.MMX, CpuidFeature.SSE, CpuidFeature.SSE2, CpuidFeature.FXSR, CpuidFeature.CLFSH,
    };

    /// <summary>True when <paramref name="code"/> is a legacy-encoded form that needs only MMX/SSE/SSE2 (no SSE3+, no 3DNow!).</summary>
    public static bool IsOurs(Code code)
    {
        var op = code.ToOpCode();
        if (op.Encoding != EncodingKind.Legacy || !op.IsInstruction) return false;
        foreach (var f in code.CpuidFeatures())
            if (!Allowed.Contains(f)) return false;
        return true;
    }

    public static void SetForms(Mnemonic mnemonic, delegate*<Cpu, in Instruction, void> handler)
    {
        foreach (var code in HandlerTable.FormsOf(mnemonic))
            if (IsOurs(code)) HandlerTable.Set(code, handler);
    }
}
