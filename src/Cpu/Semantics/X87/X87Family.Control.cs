using System.Buffers.Binary;
using Iced.Intel;
using JitVirt.Cpu.Fpu;
using JitVirt.Cpu.Memory;
using static JitVirt.Cpu.Fpu.X87Stack;

namespace JitVirt.Cpu.Semantics.X87;

/// <summary>x87 control instructions and the FSTENV/FLDENV/FSAVE/FRSTOR images (SDM vol.1 §8.1.10, Figures 8-9 to 8-12).</summary>
static partial class X87Family
{
    /// <summary>The WAIT-prefixed forms (FINIT, FSTSW, …) check for pending exceptions first; FN* forms do not.</summary>
    static bool IsWaitingForm(Code c) => c is Code.Finit or Code.Fclex or Code.Fstsw_m2byte or Code.Fstsw_AX or Code.Fstcw_m2byte
        or Code.Fstenv_m14byte or Code.Fstenv_m28byte or Code.Fsave_m94byte or Code.Fsave_m108byte or Code.Feni or Code.Fdisi or Code.Fsetpm;

    static void Control(Cpu cpu, in Instruction i)
    {
        var m = i.Mnemonic;
        bool waiting = IsWaitingForm(i.Code) || m is Mnemonic.Fldcw or Mnemonic.Fincstp or Mnemonic.Fdecstp or Mnemonic.Ffree or Mnemonic.Ffreep or Mnemonic.Fnop;
        if (IsWaitingForm(i.Code) && !cpu.CheckWait()) return;
        if (!cpu.CheckFpuAvailable(waiting)) return;
        switch (m)
        {
            case Mnemonic.Fninit: case Mnemonic.Finit:
                cpu.InitializeFpu();
                return;
            case Mnemonic.Fnclex: case Mnemonic.Fclex:
                cpu.Fsw &= 0x7F00;
                return;
            case Mnemonic.Fnstsw: case Mnemonic.Fstsw:
                if (i.Op0Kind == OpKind.Register) cpu.WriteRegister(i.Op0Register, cpu.Fsw);
                else cpu.Write(Cpu.MemorySegment(i), cpu.EffectiveAddress(i), cpu.Fsw);
                return;
            case Mnemonic.Fnstcw: case Mnemonic.Fstcw:
                cpu.Write(Cpu.MemorySegment(i), cpu.EffectiveAddress(i), cpu.Fcw);
                return;
            case Mnemonic.Fldcw:
            {
                ushort v = cpu.Read<ushort>(Cpu.MemorySegment(i), cpu.EffectiveAddress(i));
                if (cpu.Faulted) return;
                cpu.Fcw = Cpu.FcwAsLoaded(v);
                cpu.UpdateFpuErrorSummary();
                return;
            }
            case Mnemonic.Fincstp: Touch(cpu, i); cpu.FpuTop = cpu.FpuTop + 1; cpu.Fsw &= unchecked((ushort)~X87Bits.C1); return;
            case Mnemonic.Fdecstp: Touch(cpu, i); cpu.FpuTop = cpu.FpuTop - 1; cpu.Fsw &= unchecked((ushort)~X87Bits.C1); return;
            case Mnemonic.Ffree:
                Touch(cpu, i);
                cpu.FpuTagValid &= (byte)~(1 << Physical(cpu, St(i.Op0Register)));
                return;
            case Mnemonic.Ffreep:
                Touch(cpu, i);
                cpu.FpuTagValid &= (byte)~(1 << Physical(cpu, St(i.Op0Register)));
                Pop(cpu);
                return;
            case Mnemonic.Fnop: Touch(cpu, i); return;
            default: return; // FENI/FDISI/FSETPM: no-ops since the 387
        }
    }

    static void Environment(Cpu cpu, in Instruction i)
    {
        var m = i.Mnemonic;
        if (IsWaitingForm(i.Code) && !cpu.CheckWait()) return;
        if (!cpu.CheckFpuAvailable(waiting: m is Mnemonic.Fldenv or Mnemonic.Frstor)) return;
        bool wide = i.MemorySize is MemorySize.FpuEnv28 or MemorySize.FpuState108;
        int envSize = wide ? 28 : 14;
        bool full = m is Mnemonic.Fnsave or Mnemonic.Fsave or Mnemonic.Frstor;
        int size = envSize + (full ? 80 : 0);
        bool store = m is Mnemonic.Fnstenv or Mnemonic.Fstenv or Mnemonic.Fnsave or Mnemonic.Fsave;
        bool real = cpu.IsRealMode || cpu.IsV86Mode;
        Span<byte> image = stackalloc byte[108];
        image = image[..size];
        if (store)
        {
            if (!cpu.TryLinear(Cpu.MemorySegment(i), cpu.EffectiveAddress(i), size, AccessKind.Write, out ulong linear)) return;
            if (!cpu.ProbeWriteLinear(linear, size, cpu.Cpl == 3)) return;
            BuildEnvironment(cpu, image, wide, real);
            if (full) StoreRegisterArea(cpu, image[envSize..]);
            Sse.FxSave.Store(cpu, linear, image);
            if (full) cpu.InitializeFpu();
            else cpu.Fcw |= 0x3F; // FSTENV masks all exceptions afterwards
            return;
        }
        {
            if (!cpu.TryLinear(Cpu.MemorySegment(i), cpu.EffectiveAddress(i), size, AccessKind.Read, out ulong linear)) return;
            if (!Sse.FxSave.Load(cpu, linear, image)) return;
            LoadEnvironment(cpu, image, wide, real);
            if (full) LoadRegisterArea(cpu, image[envSize..]);
            cpu.UpdateFpuErrorSummary();
        }
    }

    /// <summary>The 14- or 28-byte environment in the protected-mode or real-mode layout.</summary>
    public static void BuildEnvironment(Cpu cpu, Span<byte> e, bool wide, bool real)
    {
        e.Clear();
        ushort ftw = FullTagWord(cpu);
        uint ip = (uint)cpu.FpuIp, dp = (uint)cpu.FpuDp;
        if (wide)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(e[0..], 0xFFFF_0000u | cpu.Fcw);
            BinaryPrimitives.WriteUInt32LittleEndian(e[4..], 0xFFFF_0000u | cpu.Fsw);
            BinaryPrimitives.WriteUInt32LittleEndian(e[8..], 0xFFFF_0000u | ftw);
            if (real)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(e[12..], 0xFFFF_0000u | (ip & 0xFFFF));
                BinaryPrimitives.WriteUInt32LittleEndian(e[16..], ((ip >> 16) << 12) | cpu.FpuOpcode);
                BinaryPrimitives.WriteUInt32LittleEndian(e[20..], 0xFFFF_0000u | (dp & 0xFFFF));
                BinaryPrimitives.WriteUInt32LittleEndian(e[24..], (dp >> 16) << 12);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(e[12..], ip);
                BinaryPrimitives.WriteUInt32LittleEndian(e[16..], cpu.FpuCs | ((uint)cpu.FpuOpcode << 16));
                BinaryPrimitives.WriteUInt32LittleEndian(e[20..], dp);
                BinaryPrimitives.WriteUInt32LittleEndian(e[24..], 0xFFFF_0000u | cpu.FpuDs);
            }
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(e[0..], cpu.Fcw);
            BinaryPrimitives.WriteUInt16LittleEndian(e[2..], cpu.Fsw);
            BinaryPrimitives.WriteUInt16LittleEndian(e[4..], ftw);
            BinaryPrimitives.WriteUInt16LittleEndian(e[6..], (ushort)ip);
            if (real)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(e[8..], (ushort)((((ip >> 16) & 0xF) << 12) | cpu.FpuOpcode));
                BinaryPrimitives.WriteUInt16LittleEndian(e[10..], (ushort)dp);
                BinaryPrimitives.WriteUInt16LittleEndian(e[12..], (ushort)(((dp >> 16) & 0xF) << 12));
            }
            else
            {
                BinaryPrimitives.WriteUInt16LittleEndian(e[8..], cpu.FpuCs);
                BinaryPrimitives.WriteUInt16LittleEndian(e[10..], (ushort)dp);
                BinaryPrimitives.WriteUInt16LittleEndian(e[12..], cpu.FpuDs);
            }
        }
    }

    public static void LoadEnvironment(Cpu cpu, ReadOnlySpan<byte> e, bool wide, bool real)
    {
        int step = wide ? 4 : 2;
        cpu.Fcw = Cpu.FcwAsLoaded(BinaryPrimitives.ReadUInt16LittleEndian(e[0..]));
        cpu.Fsw = BinaryPrimitives.ReadUInt16LittleEndian(e[step..]);
        cpu.FpuTagValid = AbridgedFromFull(BinaryPrimitives.ReadUInt16LittleEndian(e[(2 * step)..]));
        if (wide)
        {
            uint w3 = BinaryPrimitives.ReadUInt32LittleEndian(e[12..]), w4 = BinaryPrimitives.ReadUInt32LittleEndian(e[16..]);
            uint w5 = BinaryPrimitives.ReadUInt32LittleEndian(e[20..]), w6 = BinaryPrimitives.ReadUInt32LittleEndian(e[24..]);
            if (real)
            {
                cpu.FpuIp = (w3 & 0xFFFF) | ((w4 >> 12) << 16);
                cpu.FpuOpcode = (ushort)(w4 & 0x7FF);
                cpu.FpuDp = (w5 & 0xFFFF) | ((w6 >> 12) << 16);
            }
            else
            {
                cpu.FpuIp = w3; cpu.FpuCs = (ushort)w4; cpu.FpuOpcode = (ushort)((w4 >> 16) & 0x7FF);
                cpu.FpuDp = w5; cpu.FpuDs = (ushort)w6;
            }
        }
        else
        {
            ushort w3 = BinaryPrimitives.ReadUInt16LittleEndian(e[6..]), w4 = BinaryPrimitives.ReadUInt16LittleEndian(e[8..]);
            ushort w5 = BinaryPrimitives.ReadUInt16LittleEndian(e[10..]), w6 = BinaryPrimitives.ReadUInt16LittleEndian(e[12..]);
            if (real)
            {
                cpu.FpuIp = w3 | ((ulong)(w4 >> 12) << 16);
                cpu.FpuOpcode = (ushort)(w4 & 0x7FF);
                cpu.FpuDp = w5 | ((ulong)(w6 >> 12) << 16);
            }
            else
            {
                cpu.FpuIp = w3; cpu.FpuCs = w4; cpu.FpuDp = w5; cpu.FpuDs = w6;
            }
        }
    }
}
