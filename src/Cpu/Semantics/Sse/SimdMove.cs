using System.Runtime.Intrinsics;
using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Memory;
using JitVirt.Cpu.State;
using static JitVirt.Cpu.Semantics.Sse.VectorOperands;

namespace JitVirt.Cpu.Semantics.Sse;

/// <summary>
/// MMX/SSE/SSE2 data movement, MXCSR access, non-temporal stores, fences, CLFLUSH and prefetches
/// (SDM vol.2 MOVAPS … MOVQ, LDMXCSR, STMXCSR, MASKMOVDQU, LFENCE/SFENCE/MFENCE, CLFLUSH).
/// </summary>
static unsafe class SimdMove
{
    public static void Register()
    {
        foreach (var m in new[]
        {
            Mnemonic.Movaps, Mnemonic.Movups, Mnemonic.Movapd, Mnemonic.Movupd, Mnemonic.Movdqa, Mnemonic.Movdqu,
            Mnemonic.Movntps, Mnemonic.Movntpd, Mnemonic.Movntdq,
        })
            SseRegistry.SetForms(m, &MoveFull);
        SseRegistry.SetForms(Mnemonic.Movss, &MoveScalar);
        foreach (var code in HandlerTable.FormsOf(Mnemonic.Movsd))
            if (SseRegistry.IsOurs(code) && code.ToString().Contains("xmm")) HandlerTable.Set(code, &MoveScalar);
        foreach (var m in new[] { Mnemonic.Movlps, Mnemonic.Movlpd, Mnemonic.Movhps, Mnemonic.Movhpd, Mnemonic.Movhlps, Mnemonic.Movlhps })
            SseRegistry.SetForms(m, &MoveHalf);
        foreach (var m in new[] { Mnemonic.Movd, Mnemonic.Movq, Mnemonic.Movq2dq, Mnemonic.Movdq2q, Mnemonic.Movntq })
            SseRegistry.SetForms(m, &MoveInteger);
        SseRegistry.SetForms(Mnemonic.Movmskps, &MoveMask);
        SseRegistry.SetForms(Mnemonic.Movmskpd, &MoveMask);
        SseRegistry.SetForms(Mnemonic.Maskmovq, &MaskedMove);
        SseRegistry.SetForms(Mnemonic.Maskmovdqu, &MaskedMove);
        SseRegistry.SetForms(Mnemonic.Movnti, &MoveNonTemporalGpr);
        SseRegistry.SetForms(Mnemonic.Ldmxcsr, &Ldmxcsr);
        SseRegistry.SetForms(Mnemonic.Stmxcsr, &Stmxcsr);
        foreach (var m in new[] { Mnemonic.Lfence, Mnemonic.Sfence, Mnemonic.Mfence })
            foreach (var code in HandlerTable.FormsOf(m))
                if (SseRegistry.IsOurs(code)) HandlerTable.Set(code, &Fence);
        foreach (var m in new[] { Mnemonic.Prefetchnta, Mnemonic.Prefetcht0, Mnemonic.Prefetcht1, Mnemonic.Prefetcht2 })
            foreach (var code in HandlerTable.FormsOf(m))
                if (code.ToOpCode().Encoding == EncodingKind.Legacy) HandlerTable.Set(code, &Fence);
        HandlerTable.Set(Code.Clflush_m8, &Clflush);
        if (!HandlerTable.IsImplemented(Code.Pause)) HandlerTable.Set(Code.Pause, &Fence);
    }

    static bool CheckFor(Cpu cpu, in Instruction i)
    {
        bool mmx = (i.Op0Kind == OpKind.Register && IsMmx(i.Op0Register)) || (i.Op1Kind == OpKind.Register && IsMmx(i.Op1Register));
        bool xmm = (i.Op0Kind == OpKind.Register && IsXmm(i.Op0Register)) || (i.Op1Kind == OpKind.Register && IsXmm(i.Op1Register));
        if (xmm) return cpu.CheckSseAvailable() && (!mmx || CheckPendingX87(cpu));
        return cpu.CheckMmxAvailable();
    }

    static bool CheckPendingX87(Cpu cpu)
    {
        if ((cpu.Fsw & 0x80) != 0 && (cpu.Cr0 & Cr0.NE) != 0) { cpu.RaiseFault(ExceptionVector.FloatingPointError); return false; }
        return true;
    }

    /// <summary>128-bit moves: MOVAPS/MOVAPD/MOVDQA/MOVNT* require 16-byte alignment, MOVUPS/MOVUPD/MOVDQU do not.</summary>
    static void MoveFull(Cpu cpu, in Instruction i)
    {
        if (!cpu.CheckSseAvailable()) return;
        if (i.Op0Kind == OpKind.Memory)
        {
            var v = cpu.Xmm[XmmIndex(i.Op1Register)];
            cpu.TryWriteVector(i, 16, RequiresAlignment(i, 16), v);
            return;
        }
        if (!TryRead(cpu, i, 1, out var s)) return;
        cpu.Xmm[XmmIndex(i.Op0Register)] = s;
    }

    /// <summary>MOVSS/MOVSD: register to register merges the low element; a load zeroes the rest; a store writes the low element.</summary>
    static void MoveScalar(Cpu cpu, in Instruction i)
    {
        if (!cpu.CheckSseAvailable()) return;
        bool single = i.Mnemonic == Mnemonic.Movss;
        int size = single ? 4 : 8;
        if (i.Op0Kind == OpKind.Memory)
        {
            cpu.TryWriteVector(i, size, false, cpu.Xmm[XmmIndex(i.Op1Register)]);
            return;
        }
        int d = XmmIndex(i.Op0Register);
        if (i.Op1Kind == OpKind.Memory)
        {
            if (!cpu.TryReadVector(i, size, false, out var v)) return;
            cpu.Xmm[d] = v;
            return;
        }
        var s = cpu.Xmm[XmmIndex(i.Op1Register)];
        cpu.Xmm[d] = single
            ? cpu.Xmm[d].AsUInt32().WithElement(0, s.AsUInt32().GetElement(0)).AsByte()
            : cpu.Xmm[d].AsUInt64().WithElement(0, s.AsUInt64().GetElement(0)).AsByte();
    }

    /// <summary>MOVLPS/MOVLPD/MOVHPS/MOVHPD (64-bit memory to/from one half) and MOVHLPS/MOVLHPS.</summary>
    static void MoveHalf(Cpu cpu, in Instruction i)
    {
        if (!cpu.CheckSseAvailable()) return;
        var m = i.Mnemonic;
        bool high = m is Mnemonic.Movhps or Mnemonic.Movhpd;
        if (i.Op0Kind == OpKind.Memory)
        {
            var s = cpu.Xmm[XmmIndex(i.Op1Register)].AsUInt64();
            cpu.TryWriteVector(i, 8, false, Vector128.CreateScalar(s.GetElement(high ? 1 : 0)).AsByte());
            return;
        }
        int d = XmmIndex(i.Op0Register);
        var dst = cpu.Xmm[d].AsUInt64();
        if (!TryRead(cpu, i, 1, out var src)) return;
        var s64 = src.AsUInt64();
        var r = m switch
        {
            Mnemonic.Movhlps => dst.WithElement(0, s64.GetElement(1)),
            Mnemonic.Movlhps => dst.WithElement(1, s64.GetElement(0)),
            _ => dst.WithElement(high ? 1 : 0, s64.GetElement(0)),
        };
        cpu.Xmm[d] = r.AsByte();
    }

    /// <summary>
    /// MOVD/MOVQ between GPRs, memory, MMX and XMM registers; MOVQ2DQ/MOVDQ2Q; MOVNTQ. A value
    /// written to an XMM register is zero-extended to 128 bits (SDM vol.2 MOVD/MOVQ).
    /// </summary>
    static void MoveInteger(Cpu cpu, in Instruction i)
    {
        if (!CheckFor(cpu, i)) return;
        int size;
        if (i.Op0Kind == OpKind.Memory || i.Op1Kind == OpKind.Memory) size = MemorySize(i);
        else
        {
            var r0 = i.Op0Register; var r1 = i.Op1Register;
            size = r0.IsGPR() ? r0.GetSize() : r1.IsGPR() ? r1.GetSize() : 8;
        }
        if (!TryRead(cpu, i, 1, out var v)) return;
        ulong value = v.AsUInt64().GetElement(0);
        if (size == 4) value &= 0xFFFF_FFFF;
        bool mmx = (i.Op0Kind == OpKind.Register && IsMmx(i.Op0Register)) || (i.Op1Kind == OpKind.Register && IsMmx(i.Op1Register));
        if (i.Op0Kind == OpKind.Memory)
        {
            if (!cpu.TryWriteVector(i, size, false, Vector128.CreateScalar(value).AsByte())) return;
        }
        else
        {
            var d = i.Op0Register;
            if (IsXmm(d)) cpu.Xmm[XmmIndex(d)] = Vector128.CreateScalar(value).AsByte();
            else if (IsMmx(d)) cpu.WriteMmx(MmIndex(d), value);
            else cpu.WriteRegisterSized(d, value);
        }
        if (mmx) cpu.EnterMmxMode();
    }

    static void MoveMask(Cpu cpu, in Instruction i)
    {
        if (!cpu.CheckSseAvailable()) return;
        var s = cpu.Xmm[XmmIndex(i.Op1Register)];
        uint mask = i.Mnemonic == Mnemonic.Movmskps
            ? Vector128.ExtractMostSignificantBits(s.AsUInt32())
            : Vector128.ExtractMostSignificantBits(s.AsUInt64());
        cpu.WriteRegisterSized(i.Op0Register, mask);
    }

    /// <summary>
    /// MASKMOVQ/MASKMOVDQU: stores the bytes of the first source whose mask byte has bit 7 set to
    /// DS:rDI (segment overridable). With an all-zero mask nothing is accessed; otherwise the whole
    /// range is checked before any byte is written.
    /// </summary>
    static void MaskedMove(Cpu cpu, in Instruction i)
    {
        bool mmx = IsMmx(i.Op1Register);
        if (mmx ? !cpu.CheckMmxAvailable() : !cpu.CheckSseAvailable()) return;
        Vector128<byte> data, mask;
        int size = mmx ? 8 : 16;
        if (mmx)
        {
            data = Vector128.CreateScalar(cpu.ReadMmx(MmIndex(i.Op1Register))).AsByte();
            mask = Vector128.CreateScalar(cpu.ReadMmx(MmIndex(i.Op2Register))).AsByte();
        }
        else
        {
            data = cpu.Xmm[XmmIndex(i.Op1Register)];
            mask = cpu.Xmm[XmmIndex(i.Op2Register)];
        }
        uint bits = Vector128.ExtractMostSignificantBits(mask) & (mmx ? 0xFFu : 0xFFFFu);
        if (bits != 0)
        {
            ulong rdi = cpu.Gpr[Gpr.Rdi];
            ulong offset = i.Op0Kind switch { OpKind.MemorySegDI => rdi & 0xFFFF, OpKind.MemorySegEDI => rdi & 0xFFFF_FFFF, _ => rdi };
            if (!cpu.TryLinear(Cpu.MemorySegment(i), offset, size, AccessKind.Write, out ulong linear)) return;
            if (!cpu.ProbeWriteLinear(linear, size, cpu.Cpl == 3)) return;
            bool user = cpu.Cpl == 3;
            for (int k = 0; k < size; k++)
                if ((bits & (1u << k)) != 0)
                    cpu.WriteLinear(cpu.Is64BitMode ? linear + (ulong)k : (linear + (ulong)k) & 0xFFFF_FFFF, data.GetElement(k), user);
        }
        if (mmx) cpu.EnterMmxMode();
    }

    static void MoveNonTemporalGpr(Cpu cpu, in Instruction i)
    {
        if (i.Op1Register.GetSize() == 8) cpu.WriteOperand(i, 0, cpu.Gpr[i.Op1Register.GetFullRegister().GetNumber()]);
        else cpu.WriteOperand(i, 0, (uint)cpu.Gpr[i.Op1Register.GetFullRegister().GetNumber()]);
    }

    /// <summary>LDMXCSR: #GP(0) when a reserved bit (outside MXCSR_MASK) is set (SDM vol.2 LDMXCSR).</summary>
    static void Ldmxcsr(Cpu cpu, in Instruction i)
    {
        if (!cpu.CheckSseAvailable()) return;
        uint v = cpu.Read<uint>(Cpu.MemorySegment(i), cpu.EffectiveAddress(i));
        if (cpu.Faulted) return;
        if ((v & ~Cpu.MxcsrMask) != 0) { cpu.RaiseGeneralProtection(0); return; }
        cpu.Mxcsr = v;
    }

    static void Stmxcsr(Cpu cpu, in Instruction i)
    {
        if (!cpu.CheckSseAvailable()) return;
        cpu.Write(Cpu.MemorySegment(i), cpu.EffectiveAddress(i), cpu.Mxcsr);
    }

    /// <summary>LFENCE/SFENCE/MFENCE, PREFETCHh, PAUSE: the interpreter retires every access in order, so nothing to do.</summary>
    static void Fence(Cpu cpu, in Instruction i) { }

    /// <summary>CLFLUSH: the address is checked like a byte read (segment, paging); there is no cache to flush.</summary>
    static void Clflush(Cpu cpu, in Instruction i)
    {
        if (!cpu.TryLinear(Cpu.MemorySegment(i), cpu.EffectiveAddress(i), 1, AccessKind.Read, out ulong linear)) return;
        cpu.TranslateLinear(linear, AccessKind.Read, cpu.Cpl == 3, out _);
    }
}
