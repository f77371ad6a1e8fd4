using System.Numerics;
using System.Runtime.CompilerServices;
using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;
using static JitVirt.Cpu.Semantics.DataFlow.FormInfo;

namespace JitVirt.Cpu.Semantics;

/// <summary>
/// PUSH, POP, PUSHA/POPA, PUSHF/POPF, ENTER and LEAVE. RSP is updated on a local copy and
/// committed only when nothing more can fault. Where the SDM leaves a choice this follows
/// recent Intel processors: PUSH Sreg with a 32/64-bit operand size writes only the 16-bit
/// selector into the slot (SDM vol.2 PUSH), and ENTER probes the final stack pointer for writing
/// as the SDM's #SS condition "new SP outside the stack segment" implies.
/// </summary>
public static unsafe class StackOperations
{
    public static void Register()
    {
        foreach (var m in new[] { Mnemonic.Push, Mnemonic.Pop })
        {
            bool push = m == Mnemonic.Push;
            foreach (var code in HandlerTable.FormsOf(m))
            {
                var k = code.ToOpCode().GetOpKind(0);
                bool segment = k is OpCodeOperandKind.es or OpCodeOperandKind.cs or OpCodeOperandKind.ss or OpCodeOperandKind.ds or OpCodeOperandKind.fs or OpCodeOperandKind.gs;
                if (segment && !push && k == OpCodeOperandKind.cs) continue; // POP CS (8086 only): #UD
                if (segment && push) SetByWidth(code, null, &PushSegment<ushort>, &PushSegment<uint>, &PushSegment<ulong>);
                else if (segment) SetByWidth(code, null, &PopSegment<ushort>, &PopSegment<uint>, &PopSegment<ulong>);
                else if (push) SetByWidth(code, null, &PushOperand<ushort>, &PushOperand<uint>, &PushOperand<ulong>);
                else SetByWidth(code, null, &PopOperand<ushort>, &PopOperand<uint>, &PopOperand<ulong>);
            }
        }
        Each(Mnemonic.Pusha, &Pusha<ushort>, &Pusha<uint>);
        Each(Mnemonic.Pushad, &Pusha<ushort>, &Pusha<uint>);
        Each(Mnemonic.Popa, &Popa<ushort>, &Popa<uint>);
        Each(Mnemonic.Popad, &Popa<ushort>, &Popa<uint>);
        foreach (var m in new[] { Mnemonic.Pushf, Mnemonic.Pushfd, Mnemonic.Pushfq })
            foreach (var code in HandlerTable.FormsOf(m)) SetByWidth(code, null, &Pushf<ushort>, &Pushf<uint>, &Pushf<ulong>);
        foreach (var m in new[] { Mnemonic.Popf, Mnemonic.Popfd, Mnemonic.Popfq })
            foreach (var code in HandlerTable.FormsOf(m)) SetByWidth(code, null, &Popf<ushort>, &Popf<uint>, &Popf<ulong>);
        foreach (var code in HandlerTable.FormsOf(Mnemonic.Enter)) SetByWidth(code, null, &Enter<ushort>, &Enter<uint>, &Enter<ulong>);
        foreach (var code in HandlerTable.FormsOf(Mnemonic.Leave)) SetByWidth(code, null, &Leave<ushort>, &Leave<uint>, &Leave<ulong>);

        static void Each(Mnemonic m, delegate*<Cpu, in Instruction, void> h16, delegate*<Cpu, in Instruction, void> h32)
        {
            foreach (var code in HandlerTable.FormsOf(m)) SetByWidth(code, null, h16, h32, null);
        }
    }

    // ------------------------------------------------------------------ PUSH / POP

    /// <summary>PUSH r, r/m or imm. The operand is read before RSP moves, so PUSH SP/ESP/RSP pushes the old value (SDM vol.2 PUSH).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void PushOperand<T>(Cpu cpu, in Instruction i) where T : unmanaged, IBinaryInteger<T>
    {
        T value = cpu.ReadOperand<T>(i, 0);
        if (cpu.Faulted) return;
        cpu.Push(value);
    }

    /// <summary>
    /// POP r or r/m. A memory destination addressed through RSP uses the incremented RSP; POP SP/ESP/RSP
    /// leaves the popped value in the register (SDM vol.2 POP).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void PopOperand<T>(Cpu cpu, in Instruction i) where T : unmanaged, IBinaryInteger<T>
    {
        ulong old = cpu.Gpr[Gpr.Rsp];
        ulong rsp = old;
        if (!cpu.TryPop(ref rsp, out T value)) return;
        cpu.Gpr[Gpr.Rsp] = rsp;
        if (i.Op0Kind == OpKind.Register)
        {
            cpu.WriteRegister(i.Op0Register, value);
            return;
        }
        cpu.Write(Cpu.MemorySegment(i), cpu.EffectiveAddress(i), value);
        if (cpu.Faulted) cpu.Gpr[Gpr.Rsp] = old;
    }

    /// <summary>PUSH Sreg: the stack pointer moves by the operand size; only the 16-bit selector is written.</summary>
    public static void PushSegment<T>(Cpu cpu, in Instruction i) where T : unmanaged
    {
        ushort selector = cpu.Segments[RegisterMap.SegmentNumber[(int)i.Op0Register]].Selector;
        if (sizeof(T) == 2) { cpu.Push(selector); return; }
        ulong mask = cpu.StackPointerMask;
        ulong rsp = cpu.Gpr[Gpr.Rsp];
        ulong sp = (rsp - (ulong)sizeof(T)) & mask;
        if (!cpu.TryLinear(SegmentIndex.Ss, sp, sizeof(T), Memory.AccessKind.Write, out ulong linear)) return;
        cpu.WriteLinear(linear, selector, cpu.UserAccess);
        if (cpu.Faulted) return;
        cpu.Gpr[Gpr.Rsp] = (rsp & ~mask) | sp;
    }

    /// <summary>POP Sreg: RSP is committed only when the segment load succeeded; POP SS blocks interrupts for one instruction.</summary>
    public static void PopSegment<T>(Cpu cpu, in Instruction i) where T : unmanaged, IBinaryInteger<T>
    {
        int seg = RegisterMap.SegmentNumber[(int)i.Op0Register];
        ulong rsp = cpu.Gpr[Gpr.Rsp];
        if (!cpu.TryPop(ref rsp, out T value)) return;
        if (!cpu.LoadSegmentRegister(seg, ushort.CreateTruncating(value))) return;
        cpu.Gpr[Gpr.Rsp] = rsp;
        if (seg == SegmentIndex.Ss) cpu.InterruptShadow = true;
    }

    /// <summary>PUSHA/PUSHAD: AX CX DX BX, the original SP, BP SI DI. #UD in 64-bit mode.</summary>
    public static void Pusha<T>(Cpu cpu, in Instruction i) where T : unmanaged, IBinaryInteger<T>
    {
        if (cpu.Is64BitMode) { cpu.RaiseInvalidOpcode(); return; }
        ulong rsp = cpu.Gpr[Gpr.Rsp];
        for (int r = 0; r < 8; r++)
            if (!cpu.TryPush(ref rsp, T.CreateTruncating(cpu.Gpr[r]))) return; // r = 4 reads the SP before the instruction
        cpu.Gpr[Gpr.Rsp] = rsp;
    }

    /// <summary>POPA/POPAD: DI SI BP, a skipped SP slot, BX DX CX AX. #UD in 64-bit mode.</summary>
    public static void Popa<T>(Cpu cpu, in Instruction i) where T : unmanaged, IBinaryInteger<T>
    {
        if (cpu.Is64BitMode) { cpu.RaiseInvalidOpcode(); return; }
        ulong rsp = cpu.Gpr[Gpr.Rsp];
        Span<T> values = stackalloc T[8];
        for (int r = 7; r >= 0; r--)
            if (!cpu.TryPop(ref rsp, out values[r])) return;
        for (int r = 0; r < 8; r++)
            if (r != Gpr.Rsp) SetGpr(cpu, r, values[r]);
        cpu.Gpr[Gpr.Rsp] = rsp;
    }

    // ------------------------------------------------------------------ PUSHF / POPF

    /// <summary>Flags POPF may ever write in bits 15:0 (SDM vol.1 Figure 3-8: bits 1, 3, 5, 15 are reserved).</summary>
    const ulong Low16Flags = Rflags.CF | Rflags.PF | Rflags.AF | Rflags.ZF | Rflags.SF | Rflags.TF | Rflags.IF | Rflags.DF | Rflags.OF | Rflags.IoplMask | Rflags.NT;
    /// <summary>Upper flags a 32/64-bit POPF may write; RF, VM, VIF and VIP never are (SDM vol.2 POPF).</summary>
    const ulong UpperFlags = Rflags.AC | Rflags.ID;

    /// <summary>
    /// PUSHF/PUSHFD/PUSHFQ: the image has RF and VM cleared (AND 00FCFFFFH). In V86 mode with IOPL &lt; 3
    /// it is #GP(0), unless CR4.VME and a 16-bit operand: then IF is replaced by VIF and IOPL reads 3.
    /// </summary>
    public static void Pushf<T>(Cpu cpu, in Instruction i) where T : unmanaged, IBinaryInteger<T>
    {
        ulong flags = cpu.GetRflags() & ~(Rflags.RF | Rflags.VM);
        if (cpu.IsV86Mode && cpu.Iopl < 3)
        {
            if (sizeof(T) != 2 || (cpu.Cr4 & State.Cr4.VME) == 0) { cpu.RaiseGeneralProtection(0); return; }
            flags = (flags & ~Rflags.IF) | ((flags & Rflags.VIF) != 0 ? Rflags.IF : 0) | Rflags.IoplMask;
        }
        cpu.Push(T.CreateTruncating(flags));
    }

    /// <summary>POPF/POPFD/POPFQ with the privilege rules of the SDM's POPF operation (real, CPL 0, CPL &gt; 0, V86 with and without VME).</summary>
    public static void Popf<T>(Cpu cpu, in Instruction i) where T : unmanaged, IBinaryInteger<T>
    {
        bool wide = sizeof(T) != 2;
        bool v86 = cpu.IsV86Mode;
        bool vme = v86 && cpu.Iopl < 3;
        if (vme && (wide || (cpu.Cr4 & State.Cr4.VME) == 0)) { cpu.RaiseGeneralProtection(0); return; }
        ulong rsp = cpu.Gpr[Gpr.Rsp];
        if (!cpu.TryPop(ref rsp, out T popped)) return;
        ulong value = ulong.CreateTruncating(popped);
        ulong old = cpu.GetRflags();
        ulong mask = wide ? Low16Flags | UpperFlags : Low16Flags;
        if (vme)
        {
            if (((old & Rflags.VIP) != 0 && (value & Rflags.IF) != 0) || (value & Rflags.TF) != 0) { cpu.RaiseGeneralProtection(0); return; }
            mask &= ~(Rflags.IF | Rflags.IoplMask);
        }
        else if (v86) mask &= ~Rflags.IoplMask;
        else if (cpu.IsProtectedMode && cpu.Cpl > 0)
        {
            mask &= ~Rflags.IoplMask;
            if (cpu.Cpl > cpu.Iopl) mask &= ~Rflags.IF;
        }
        ulong flags = (old & ~mask) | (value & mask);
        if (wide) flags &= ~Rflags.RF;
        if (vme) flags = (flags & ~Rflags.VIF) | ((value & Rflags.IF) != 0 ? Rflags.VIF : 0);
        cpu.SetRflags(flags);
        cpu.Gpr[Gpr.Rsp] = rsp;
    }

    // ------------------------------------------------------------------ ENTER / LEAVE

    /// <summary>ENTER imm16, imm8 with nesting levels (level mod 32), following the SDM's ENTER operation.</summary>
    public static void Enter<T>(Cpu cpu, in Instruction i) where T : unmanaged, IBinaryInteger<T>
    {
        ulong allocSize = i.Immediate16;
        int level = i.Immediate8_2nd & 31;
        ulong mask = cpu.StackPointerMask;
        ulong rsp = cpu.Gpr[Gpr.Rsp];
        ulong rbp = cpu.Gpr[Gpr.Rbp];
        if (!cpu.TryPush(ref rsp, T.CreateTruncating(rbp))) return;
        ulong frameTemp = rsp & mask;
        if (level > 0)
        {
            ulong bp = rbp;
            for (int n = 1; n < level; n++)
            {
                bp = (bp - (ulong)sizeof(T)) & mask;
                T display = cpu.Read<T>(SegmentIndex.Ss, bp);
                if (cpu.Faulted || !cpu.TryPush(ref rsp, display)) return;
            }
            if (!cpu.TryPush(ref rsp, T.CreateTruncating(frameTemp))) return;
        }
        ulong finalRsp = (rsp & ~mask) | ((rsp - allocSize) & mask);
        if (!cpu.TryWritableLinear(SegmentIndex.Ss, finalRsp & mask, sizeof(T), out _)) return;
        SetGpr(cpu, Gpr.Rbp, T.CreateTruncating(frameTemp));
        cpu.Gpr[Gpr.Rsp] = finalRsp;
    }

    /// <summary>LEAVE: SP ← BP at the stack address size, then POP BP at the operand size.</summary>
    public static void Leave<T>(Cpu cpu, in Instruction i) where T : unmanaged, IBinaryInteger<T>
    {
        ulong mask = cpu.StackPointerMask;
        ulong rsp = (cpu.Gpr[Gpr.Rsp] & ~mask) | (cpu.Gpr[Gpr.Rbp] & mask);
        if (!cpu.TryPop(ref rsp, out T bp)) return;
        cpu.Gpr[Gpr.Rsp] = rsp;
        SetGpr(cpu, Gpr.Rbp, bp);
    }
}
