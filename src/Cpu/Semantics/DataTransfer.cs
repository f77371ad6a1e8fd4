using System.Numerics;
using System.Runtime.CompilerServices;
using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;
using static JitVirt.Cpu.Semantics.DataFlow.FormInfo;

namespace JitVirt.Cpu.Semantics;

/// <summary>
/// MOV (general, moffs, segment register), LEA, XLAT and the far-pointer loads LDS/LES/LFS/LGS/LSS.
/// MOV to/from control, debug and test registers belongs to the system family. MOVBE is not
/// advertised and stays #UD. Segment register loads go through <see cref="Cpu.LoadSegmentRegister"/>.
/// </summary>
public static unsafe class DataTransfer
{
    public static void Register()
    {
        foreach (var code in HandlerTable.FormsOf(Mnemonic.Mov))
        {
            if (HasOperandKind(code, OpCodeOperandKind.cr_reg) || HasOperandKind(code, OpCodeOperandKind.dr_reg) || HasOperandKind(code, OpCodeOperandKind.tr_reg)) continue;
            var op = code.ToOpCode();
            if (op.GetOpKind(0) == OpCodeOperandKind.seg_reg) HandlerTable.Set(code, &MovToSegment);
            else if (op.GetOpKind(1) == OpCodeOperandKind.seg_reg) HandlerTable.Set(code, &MovFromSegment);
            else SetByWidth(code, &Mov<byte>, &Mov<ushort>, &Mov<uint>, &Mov<ulong>);
        }
        foreach (var code in HandlerTable.FormsOf(Mnemonic.Lea)) SetByWidth(code, null, &Lea<ushort>, &Lea<uint>, &Lea<ulong>);
        foreach (var code in HandlerTable.FormsOf(Mnemonic.Xlatb)) HandlerTable.Set(code, &Xlat);
        foreach (var m in new[] { Mnemonic.Lds, Mnemonic.Les, Mnemonic.Lfs, Mnemonic.Lgs, Mnemonic.Lss })
            foreach (var code in HandlerTable.FormsOf(m)) SetByWidth(code, null, &LoadFarPointer<ushort>, &LoadFarPointer<uint>, &LoadFarPointer<ulong>);
    }

    /// <summary>MOV between GPRs, memory and immediates (all widths; moffs forms are memory operands).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Mov<T>(Cpu cpu, in Instruction i) where T : unmanaged, IBinaryInteger<T>
    {
        T value = cpu.ReadOperand<T>(i, 1);
        if (cpu.Faulted) return;
        cpu.WriteOperand(i, 0, value);
    }

    /// <summary>MOV r/m, Sreg: a register destination gets the selector zero-extended (SDM vol.2 MOV), memory gets 16 bits.</summary>
    public static void MovFromSegment(Cpu cpu, in Instruction i)
    {
        int seg = RegisterMap.SegmentNumber[(int)i.Op1Register];
        if (seg < 0) { cpu.RaiseInvalidOpcode(); return; }
        ushort selector = cpu.Segments[seg].Selector;
        if (i.Op0Kind == OpKind.Register) cpu.WriteRegisterSized(i.Op0Register, selector);
        else cpu.Write(Cpu.MemorySegment(i), cpu.EffectiveAddress(i), selector);
    }

    /// <summary>MOV Sreg, r/m: CS is #UD; loading SS blocks interrupts for one instruction (SDM vol.3 §7.8.3).</summary>
    public static void MovToSegment(Cpu cpu, in Instruction i)
    {
        int seg = RegisterMap.SegmentNumber[(int)i.Op0Register];
        if (seg < 0 || seg == SegmentIndex.Cs) { cpu.RaiseInvalidOpcode(); return; }
        ushort selector = i.Op1Kind == OpKind.Register
            ? (ushort)cpu.ReadRegisterZx(i.Op1Register)
            : cpu.Read<ushort>(Cpu.MemorySegment(i), cpu.EffectiveAddress(i));
        if (cpu.Faulted) return;
        if (!cpu.LoadSegmentRegister(seg, selector)) return;
        if (seg == SegmentIndex.Ss) cpu.InterruptShadow = true;
    }

    /// <summary>LEA: the effective address at the address size, truncated or zero-extended to the operand size (SDM vol.2 LEA, Table 3-54).</summary>
    public static void Lea<T>(Cpu cpu, in Instruction i) where T : unmanaged, IBinaryInteger<T>
    {
        if (i.Op1Kind != OpKind.Memory) { cpu.RaiseInvalidOpcode(); return; }
        cpu.WriteRegister(i.Op0Register, T.CreateTruncating(cpu.EffectiveAddress(i)));
    }

    /// <summary>XLAT: AL ← [seg:(E/R)BX + zero-extended AL] at the address size.</summary>
    public static void Xlat(Cpu cpu, in Instruction i)
    {
        var b = i.MemoryBase;
        ulong ea = cpu.ReadRegisterZx(b) + (byte)cpu.Gpr[Gpr.Rax];
        ea &= RegisterMap.Width[(int)b] switch { 2 => 0xFFFFul, 4 => 0xFFFF_FFFFul, _ => ulong.MaxValue };
        byte value = cpu.Read<byte>(Cpu.MemorySegment(i), ea);
        if (cpu.Faulted) return;
        cpu.WriteRegister(Iced.Intel.Register.AL, value);
    }

    /// <summary>LDS/LES/LFS/LGS/LSS: offset then selector from memory; the register is written only after the segment load succeeded.</summary>
    public static void LoadFarPointer<T>(Cpu cpu, in Instruction i) where T : unmanaged, IBinaryInteger<T>
    {
        if (i.Op1Kind != OpKind.Memory) { cpu.RaiseInvalidOpcode(); return; }
        int seg = i.Mnemonic switch
        {
            Mnemonic.Lds => SegmentIndex.Ds,
            Mnemonic.Les => SegmentIndex.Es,
            Mnemonic.Lfs => SegmentIndex.Fs,
            Mnemonic.Lgs => SegmentIndex.Gs,
            _ => SegmentIndex.Ss,
        };
        int memSeg = Cpu.MemorySegment(i);
        ulong ea = cpu.EffectiveAddress(i);
        T offset = cpu.Read<T>(memSeg, ea);
        if (cpu.Faulted) return;
        ushort selector = cpu.Read<ushort>(memSeg, (ea + (ulong)sizeof(T)) & MemoryAddressMask(i));
        if (cpu.Faulted) return;
        if (!cpu.LoadSegmentRegister(seg, selector)) return;
        cpu.WriteRegister(i.Op0Register, offset);
    }
}
