using System.Reflection.Emit;
using Iced.Intel;
using JitVirt.Cpu.Memory;
using JitVirt.Cpu.State;
using CpuT = JitVirt.Cpu.Cpu;
using Label = System.Reflection.Emit.Label;

namespace JitVirt.IlJit;

/// <summary>
/// Emits the memory forms of <see cref="InlineForms"/> (64-bit code, 64-bit address size): the
/// linear address from register locals and the software-TLB hit test that Cpu.ReadLinear/WriteLinear
/// make (<see cref="TlbFastPath"/>), and the access through the entry's host pointer. A hit needs the exact tag — linear page |
/// current generation, without <see cref="SoftwareTlb.SlowPath"/> — of the read table for loads and
/// of the write table for stores and read-modify-writes; write entries of frames holding decoded
/// code or watched page tables, and every MMIO/ROM entry, carry SlowPath, so no store to such a
/// frame is done here. Anything else (miss, slow entry, page-crossing access, non-canonical
/// address, alignment checking possible) runs the interpreter's handler for the instruction with
/// the helper bookkeeping of BlockCompiler, so faults, page walks, MMIO, code invalidation and the
/// shadow MMU's write watch are the interpreter's own; a fault or any pending event returns from
/// the body there with the interpreter's RIP, registers, flag record and retired count.
/// </summary>
sealed class MemoryEmitter
{
    static readonly Type[] HandlerParameters = [typeof(CpuT), Members.InstructionByRef];

    readonly ILGenerator _il;
    readonly RegisterLocals _regs;
    readonly EmitContext _ctx;
    readonly TlbFastPath _probe;
    readonly LocalBuilder _value;

    public MemoryEmitter(ILGenerator il, RegisterLocals regs, EmitContext ctx)
    {
        _il = il; _regs = regs; _ctx = ctx;
        _probe = new TlbFastPath(il, regs);
        _value = il.DeclareLocal(typeof(ulong));
    }

    /// <summary>Declares locals for the registers a memory form reads or writes.</summary>
    public static void DeclareRegisters(in Instruction i, RegisterLocals regs)
    {
        if (i.Op0Kind == OpKind.Register) regs.Declare(i.Op0Register);
        if (i.OpCount > 1 && i.Op1Kind == OpKind.Register) regs.Declare(i.Op1Register);
        if (i.Mnemonic is Mnemonic.Push or Mnemonic.Pop or Mnemonic.Call or Mnemonic.Ret) { regs.Declare(Register.RSP); return; }
        if (i.MemoryBase.IsGPR64()) regs.Declare(i.MemoryBase);
        if (i.MemoryIndex.IsGPR64()) regs.Declare(i.MemoryIndex);
    }

    /// <summary>
    /// Emits instruction <paramref name="k"/> (<paramref name="kind"/>), with
    /// <paramref name="unsynced"/> inline instructions before it not yet added to
    /// InstructionsRetired (what the slow path brings up to date before the handler runs).
    /// </summary>
    public void Emit(in Instruction i, InlineForms.Kind kind, bool flagsDead, int k, int helperIndex, nint handler, int unsynced)
    {
        var slow = _il.DefineLabel();
        var join = _il.DefineLabel();
        switch (kind)
        {
            case InlineForms.Kind.Load: EmitLoad(i, slow); break;
            case InlineForms.Kind.LoadExtend: EmitLoadExtend(i, slow); break;
            case InlineForms.Kind.Store: EmitStore(i, slow); break;
            case InlineForms.Kind.BinaryLoad: EmitBinaryLoad(i, flagsDead, slow); break;
            case InlineForms.Kind.BinaryMemory: EmitBinaryMemory(i, flagsDead, slow); break;
            case InlineForms.Kind.Push: EmitPush(i, slow); break;
            case InlineForms.Kind.Pop: EmitPop(i, slow); break;
            case InlineForms.Kind.Call: EmitCall(i, slow); break;
            case InlineForms.Kind.Ret: EmitRet(slow); break;
            default: throw new InvalidOperationException($"{i.Code} is not a memory form");
        }
        _il.MarkLabel(join);
        _cold.Add(new ColdPath(slow, join, i, k, helperIndex, handler, unsynced));
    }

    /// <summary>A slow path to emit after the body's last instruction (<see cref="EmitColdPaths"/>).</summary>
    readonly record struct ColdPath(Label Slow, Label Join, Instruction Insn, int Index, int HelperIndex, nint Handler, int Unsynced);

    readonly List<ColdPath> _cold = new();

    /// <summary>
    /// Emits every slow path, each ending in a branch back to the instruction after its form.
    /// Called once after the body's final return, so the hot path falls through from one form to
    /// the next and the slow paths sit out of line.
    /// </summary>
    public void EmitColdPaths()
    {
        foreach (var c in _cold)
        {
            _il.MarkLabel(c.Slow);
            EmitSlowPath(c.Insn, c.Index, c.HelperIndex, c.Handler, c.Unsynced);
            _il.Emit(OpCodes.Br, c.Join);
        }
        _cold.Clear();
    }

    // ------------------------------------------------------------------ forms

    /// <summary>MOV r, m: a 32-bit load zero-extends into the register (SDM vol.1 §3.4.1.1).</summary>
    void EmitLoad(in Instruction i, Label slow)
    {
        int size = i.Op0Register.GetSize();
        _probe.EmitEffectiveLinear(i);
        _probe.EmitProbe(AccessKind.Read, size, slow);
        EmitLoadHost(size);
        _regs.EmitWrite(i.Op0Register);
    }

    /// <summary>
    /// MOVZX/MOVSX r, m8/m16 and MOVSXD r64, m32: the value zero- or sign-extended to the
    /// destination, a 32-bit destination then zero-extended to 64 bits (SDM vol.2 MOVZX, MOVSX/MOVSXD).
    /// </summary>
    void EmitLoadExtend(in Instruction i, Label slow)
    {
        int from = i.MemorySize.GetSize();
        bool signed = i.Mnemonic != Mnemonic.Movzx;
        _probe.EmitEffectiveLinear(i);
        _probe.EmitProbe(AccessKind.Read, from, slow);
        _il.Emit(OpCodes.Ldloc, _probe.Host);
        _il.Emit(from switch
        {
            1 => signed ? OpCodes.Ldind_I1 : OpCodes.Ldind_U1,
            2 => signed ? OpCodes.Ldind_I2 : OpCodes.Ldind_U2,
            _ => OpCodes.Ldind_I4,
        });
        if (i.Op0Register.IsGPR64()) _il.Emit(signed ? OpCodes.Conv_I8 : OpCodes.Conv_U8);
        _regs.EmitWrite(i.Op0Register);
    }

    /// <summary>MOV m, r/imm (an imm32 sign-extended to 64 bits for a qword store).</summary>
    void EmitStore(in Instruction i, Label slow)
    {
        int size = i.MemorySize.GetSize();
        _probe.EmitEffectiveLinear(i);
        _probe.EmitProbe(AccessKind.Write, size, slow);
        _il.Emit(OpCodes.Ldloc, _probe.Host);
        EmitSource(i, size);
        EmitStoreIndirect(size);
    }

    /// <summary>ADD/SUB/AND/OR/XOR/CMP r, m through the Alu method the interpreter's Forms.Binary calls.</summary>
    void EmitBinaryLoad(in Instruction i, bool flagsDead, Label slow)
    {
        var dest = i.Op0Register;
        int size = dest.GetSize();
        bool writes = i.Mnemonic != Mnemonic.Cmp;
        _probe.EmitEffectiveLinear(i);
        _probe.EmitProbe(AccessKind.Read, size, slow);
        if (flagsDead)
        {
            if (!writes) return;
            _regs.EmitRead(dest);
            EmitLoadHost(size);
            EmitRawOp(i.Mnemonic, size);
            _regs.EmitWrite(dest);
            return;
        }
        _il.Emit(OpCodes.Ldarg_0);
        _regs.EmitRead(dest);
        EmitLoadHost(size);
        _il.Emit(OpCodes.Call, Members.Alu(i.Mnemonic.ToString(), WidthType(size)));
        if (writes) _regs.EmitWrite(dest);
    }

    /// <summary>
    /// ADD/SUB/AND/OR/XOR m, r/imm (read-modify-write: the write table's entry, as the
    /// interpreter's write probe) and CMP/TEST m, r/imm (a read).
    /// </summary>
    void EmitBinaryMemory(in Instruction i, bool flagsDead, Label slow)
    {
        int size = i.MemorySize.GetSize();
        bool writes = i.Mnemonic is not (Mnemonic.Cmp or Mnemonic.Test);
        _probe.EmitEffectiveLinear(i);
        _probe.EmitProbe(writes ? AccessKind.Write : AccessKind.Read, size, slow);
        if (flagsDead)
        {
            if (!writes) return;
            _il.Emit(OpCodes.Ldloc, _probe.Host);
            EmitLoadHost(size);
            EmitSource(i, size);
            EmitRawOp(i.Mnemonic, size);
            EmitStoreIndirect(size);
            return;
        }
        if (writes) _il.Emit(OpCodes.Ldloc, _probe.Host);
        _il.Emit(OpCodes.Ldarg_0);
        EmitLoadHost(size);
        EmitSource(i, size);
        _il.Emit(OpCodes.Call, Members.Alu(i.Mnemonic.ToString(), WidthType(size)));
        if (writes) EmitStoreIndirect(size);
    }

    /// <summary>
    /// PUSH r64/imm: the value (read before RSP moves, so PUSH RSP pushes the old RSP) goes to
    /// RSP − 8, then RSP ← RSP − 8 (SDM vol.2 PUSH; 64-bit stack address size, SS base ignored).
    /// </summary>
    void EmitPush(in Instruction i, Label slow)
    {
        var rsp = EmitProbePushSlot(slow);
        _il.Emit(OpCodes.Ldloc, _probe.Host);
        if (i.Op0Kind == OpKind.Register) _regs.EmitRead(i.Op0Register);
        else _il.Emit(OpCodes.Ldc_I8, unchecked((long)i.GetImmediate(0)));
        _il.Emit(OpCodes.Stind_I8);
        _il.Emit(OpCodes.Ldloc, _probe.Linear);
        _il.Emit(OpCodes.Stloc, rsp);
    }

    /// <summary>
    /// The slot a 64-bit push writes: linear ← RSP − 8, probed for an 8-byte write (a miss goes to
    /// <paramref name="slow"/>); returns RSP's local, which the caller moves once the store is done.
    /// </summary>
    LocalBuilder EmitProbePushSlot(Label slow)
    {
        var rsp = _regs.Of(Register.RSP);
        _il.Emit(OpCodes.Ldloc, rsp);
        _il.Emit(OpCodes.Ldc_I8, 8L);
        _il.Emit(OpCodes.Sub);
        _il.Emit(OpCodes.Stloc, _probe.Linear);
        _probe.EmitProbe(AccessKind.Write, 8, slow);
        return rsp;
    }

    /// <summary>POP r64: RSP ← RSP + 8, then the register ← the value, so POP RSP leaves the popped value (SDM vol.2 POP).</summary>
    void EmitPop(in Instruction i, Label slow)
    {
        var rsp = EmitPopSlot(slow);
        EmitPopRsp(rsp);
        _il.Emit(OpCodes.Ldloc, _value);
        _regs.EmitWrite(i.Op0Register);
    }

    /// <summary>
    /// The slot a 64-bit pop reads: linear ← RSP, probed for an 8-byte read (a miss goes to
    /// <paramref name="slow"/>), its value into _value; returns RSP's local, which the caller moves
    /// (<see cref="EmitPopRsp"/>) once nothing can fault any more.
    /// </summary>
    LocalBuilder EmitPopSlot(Label slow)
    {
        var rsp = _regs.Of(Register.RSP);
        _il.Emit(OpCodes.Ldloc, rsp);
        _il.Emit(OpCodes.Stloc, _probe.Linear);
        _probe.EmitProbe(AccessKind.Read, 8, slow);
        EmitLoadHost(8);
        _il.Emit(OpCodes.Stloc, _value);
        return rsp;
    }

    /// <summary>RSP ← RSP + 8.</summary>
    void EmitPopRsp(LocalBuilder rsp)
    {
        _il.Emit(OpCodes.Ldloc, rsp);
        _il.Emit(OpCodes.Ldc_I8, 8L);
        _il.Emit(OpCodes.Add);
        _il.Emit(OpCodes.Stloc, rsp);
    }

    /// <summary>
    /// CALL rel32 (SDM vol.2 CALL, near, 64-bit operand size): the target (relocated by
    /// CodeDelta) must be canonical, else #GP(0) from the handler; the return RIP goes to RSP − 8,
    /// RSP ← RSP − 8, NextRip ← target (as ControlFlow.CallNear).
    /// </summary>
    void EmitCall(in Instruction i, Label slow)
    {
        var rsp = EmitProbePushSlot(slow);
        _il.Emit(OpCodes.Ldc_I8, unchecked((long)i.NearBranchTarget));
        _il.Emit(OpCodes.Ldarg_0);
        _il.Emit(OpCodes.Ldfld, Members.CodeDelta);
        _il.Emit(OpCodes.Add);
        _il.Emit(OpCodes.Stloc, _value);
        _probe.EmitCanonicalOrSlow(_value, slow);
        _ctx.EmitSetRip(Members.NextRip, i.NextIP); // the return address, as the handler reads it
        _il.Emit(OpCodes.Ldloc, _probe.Host);
        _il.Emit(OpCodes.Ldarg_0);
        _il.Emit(OpCodes.Ldfld, Members.NextRip);
        _il.Emit(OpCodes.Stind_I8);
        _il.Emit(OpCodes.Ldloc, _probe.Linear);
        _il.Emit(OpCodes.Stloc, rsp);
        _il.Emit(OpCodes.Ldarg_0);
        _il.Emit(OpCodes.Ldloc, _value);
        _il.Emit(OpCodes.Stfld, Members.NextRip);
    }

    /// <summary>
    /// RET (SDM vol.2 RET, near, 64-bit operand size): the popped target must be canonical, else
    /// #GP(0) from the handler with RSP unchanged; RSP ← RSP + 8, NextRip ← target (as ControlFlow.ReturnNear).
    /// </summary>
    void EmitRet(Label slow)
    {
        var rsp = EmitPopSlot(slow);
        _probe.EmitCanonicalOrSlow(_value, slow);
        EmitPopRsp(rsp);
        _il.Emit(OpCodes.Ldarg_0);
        _il.Emit(OpCodes.Ldloc, _value);
        _il.Emit(OpCodes.Stfld, Members.NextRip);
    }

    /// <summary>
    /// The interpreter's handler for the instruction, with BlockCompiler's helper bookkeeping:
    /// registers stored, retired count, RIP and NextRip brought up to date, and the body returns
    /// if anything is pending afterwards (at <paramref name="k"/> on a fault). Otherwise the
    /// registers are reloaded and the retired count put back to where the inline path keeps it
    /// (the caller still counts this instruction and the ones before it as unsynced).
    /// </summary>
    void EmitSlowPath(in Instruction i, int k, int helperIndex, nint handler, int unsynced)
    {
        // Emitted after the body, where the compile-time dirty set says nothing about the jump's
        // origin: store every register (a clean one stores the value cpu.Gpr already holds).
        _regs.MarkAllDirty();
        _regs.EmitStoreAll();
        _ctx.EmitRetire(unsynced);
        _ctx.EmitSetRip(Members.Rip, i.IP);
        _ctx.EmitSetRip(Members.NextRip, i.NextIP);
        _ctx.EmitHelperCall(helperIndex, handler, HandlerParameters);
        _ctx.EmitPendingExit(k);
        _ctx.EmitRetire(-unsynced);
        _regs.EmitLoadAll();
        _probe.EmitRefresh(); // the handler may have flushed the TLB (a watched page-table write)
    }

    /// <summary>Fills the TLB probe's locals (<see cref="TlbFastPath.EmitRefresh"/>): at the body's entry and after every helper.</summary>
    public void EmitRefresh() => _probe.EmitRefresh();

    // ------------------------------------------------------------------ values

    static Type WidthType(int size) => size switch { 1 => typeof(byte), 2 => typeof(ushort), 4 => typeof(uint), _ => typeof(ulong) };

    void EmitLoadHost(int size)
    {
        _il.Emit(OpCodes.Ldloc, _probe.Host);
        _il.Emit(size switch { 1 => OpCodes.Ldind_U1, 2 => OpCodes.Ldind_U2, 4 => OpCodes.Ldind_U4, _ => OpCodes.Ldind_I8 });
    }

    void EmitStoreIndirect(int size) => _il.Emit(size switch { 1 => OpCodes.Stind_I1, 2 => OpCodes.Stind_I2, 4 => OpCodes.Stind_I4, _ => OpCodes.Stind_I8 });

    /// <summary>Operand 1 (register or immediate) at <paramref name="size"/> bytes, truncated as ReadOperand&lt;T&gt; does.</summary>
    void EmitSource(in Instruction i, int size)
    {
        if (i.Op1Kind == OpKind.Register) { EmitReadSized(i.Op1Register); return; }
        ulong imm = i.GetImmediate(1);
        if (size == 8) _il.Emit(OpCodes.Ldc_I8, (long)imm);
        else _il.Emit(OpCodes.Ldc_I4, unchecked((int)(uint)(imm & Mask(size))));
    }

    static ulong Mask(int size) => size == 8 ? ulong.MaxValue : (1ul << (8 * size)) - 1;

    /// <summary>
    /// A register at its own width (8/16-bit values zero-extended on the IL stack); AH/CH/DH/BH
    /// are bits 15:8 of registers 0–3 (SDM vol.1 §3.4.1.1).
    /// </summary>
    void EmitReadSized(Register reg)
    {
        int size = reg.GetSize();
        if (size >= 4) { _regs.EmitRead(reg); return; }
        _il.Emit(OpCodes.Ldloc, _regs.Of(reg));
        if (JitVirt.Cpu.State.RegisterMap.IsHigh8[(int)reg])
        {
            _il.Emit(OpCodes.Ldc_I4_8);
            _il.Emit(OpCodes.Shr_Un);
        }
        _il.Emit(size == 1 ? OpCodes.Conv_U1 : OpCodes.Conv_U2);
    }

    /// <summary>The result of ADD/SUB/AND/OR/XOR without the flag record, wrapping at the operand width.</summary>
    void EmitRawOp(Mnemonic m, int size)
    {
        _il.Emit(m switch
        {
            Mnemonic.Add => OpCodes.Add,
            Mnemonic.Sub => OpCodes.Sub,
            Mnemonic.And => OpCodes.And,
            Mnemonic.Or => OpCodes.Or,
            _ => OpCodes.Xor,
        });
        if (size < 8) _il.Emit(size switch { 1 => OpCodes.Conv_U1, 2 => OpCodes.Conv_U2, _ => OpCodes.Conv_U4 });
    }
}
