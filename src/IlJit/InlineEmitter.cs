using System.Reflection.Emit;
using Iced.Intel;

namespace JitVirt.IlJit;

/// <summary>
/// Emits the inline forms on register locals. The arithmetic itself is a call to the same
/// <see cref="JitVirt.Cpu.Semantics.Integer.Alu"/> method the interpreter's handler calls (the JIT
/// inlines it), so result and lazy-flag record (LazyOp, LazySrc1/2, LazyResult, and CF kept by
/// INC/DEC) are identical by construction; only operand fetch and write-back are emitted here.
/// </summary>
sealed class InlineEmitter
{
    readonly ILGenerator _il;
    readonly RegisterLocals _regs;
    readonly EmitContext _ctx;
    MemoryEmitter? _memory; // its locals are declared with the first memory form

    public InlineEmitter(ILGenerator il, RegisterLocals regs, EmitContext ctx) { _il = il; _regs = regs; _ctx = ctx; }

    /// <summary>Declares locals for every register an inline form reads or writes.</summary>
    public static void DeclareRegisters(in Instruction i, RegisterLocals regs)
    {
        if (InlineForms.IsMemory(InlineForms.Classify(i))) { MemoryEmitter.DeclareRegisters(i, regs); return; }
        regs.Declare(i.Op0Register);
        if (i.Op1Kind == OpKind.Register) regs.Declare(i.Op1Register);
        if (i.Mnemonic == Mnemonic.Lea)
        {
            if (i.MemoryBase != Register.None) regs.Declare(i.MemoryBase);
            if (i.MemoryIndex != Register.None) regs.Declare(i.MemoryIndex);
        }
    }

    /// <summary>
    /// Fills the memory forms' TLB locals; the region compiler calls it at the body's entry and
    /// after every helper when the body has memory forms.
    /// </summary>
    public void EmitTlbRefresh() => (_memory ??= new MemoryEmitter(_il, _regs, _ctx)).EmitRefresh();

    /// <summary>Emits the memory forms' slow paths; call once, after the body's last return.</summary>
    public void EmitColdPaths() => _memory?.EmitColdPaths();

    /// <summary>
    /// Emits <paramref name="i"/>, instruction <paramref name="k"/> of the block; with
    /// <paramref name="flagsDead"/> (see <see cref="FlagLiveness"/>) only its result. A memory form
    /// falls back to <paramref name="handler"/> (the interpreter's) off the fast path, which first
    /// adds the <paramref name="unsynced"/> inline instructions before it to the retired count;
    /// <paramref name="helperIndex"/> is the instruction's index in the body's instruction array
    /// (a region's members are flattened into one), which the handler call passes by reference.
    /// </summary>
    public void Emit(in Instruction i, InlineForms.Kind kind, bool flagsDead, int k, int helperIndex, nint handler, int unsynced)
    {
        if (InlineForms.IsMemory(kind))
        {
            (_memory ??= new MemoryEmitter(_il, _regs, _ctx)).Emit(i, kind, flagsDead, k, helperIndex, handler, unsynced);
            return;
        }
        switch (kind)
        {
            case InlineForms.Kind.Mov: EmitMov(i); break;
            case InlineForms.Kind.Binary when flagsDead: EmitBinaryNoFlags(i); break;
            case InlineForms.Kind.Binary: EmitBinary(i); break;
            case InlineForms.Kind.Inc when flagsDead: EmitStepNoFlags(i, OpCodes.Add); break;
            case InlineForms.Kind.Dec when flagsDead: EmitStepNoFlags(i, OpCodes.Sub); break;
            case InlineForms.Kind.Inc: EmitUnary(i, "Inc"); break;
            case InlineForms.Kind.Dec: EmitUnary(i, "Dec"); break;
            case InlineForms.Kind.Lea: EmitLea(i); break;
            case InlineForms.Kind.Shift when flagsDead: EmitShiftNoFlags(i); break;
            case InlineForms.Kind.Shift: EmitShift(i); break;
            case InlineForms.Kind.Multiply when flagsDead: EmitMultiplyNoFlags(i); break;
            case InlineForms.Kind.Multiply: EmitMultiply(i); break;
            default: throw new InvalidOperationException($"{i.Code} is not an inline form");
        }
    }

    static bool Is64(Register r) => r.IsGPR64();
    static Type WidthType(Register r) => Is64(r) ? typeof(ulong) : typeof(uint);

    void EmitSource(in Instruction i) => OperandEmitter.EmitSource(_il, _regs, i);

    /// <summary>MOV r, r/imm: no flags (SDM vol.2 MOV).</summary>
    void EmitMov(in Instruction i)
    {
        EmitSource(i);
        _regs.EmitWrite(i.Op0Register);
    }

    /// <summary>ADD/SUB/AND/OR/XOR write DEST; CMP/TEST only record flags (SDM vol.2, each instruction's Operation).</summary>
    void EmitBinary(in Instruction i)
    {
        var dest = i.Op0Register;
        string name = i.Mnemonic.ToString();
        _il.Emit(OpCodes.Ldarg_0);
        _regs.EmitRead(dest);
        EmitSource(i);
        _il.Emit(OpCodes.Call, Members.Alu(name, WidthType(dest)));
        if (i.Mnemonic is not (Mnemonic.Cmp or Mnemonic.Test)) _regs.EmitWrite(dest);
    }

    /// <summary>
    /// The result of ADD/SUB/AND/OR/XOR without the flag record: the same wrapping integer
    /// operation at the operand width that Alu performs on T (a 32-bit IL add/sub wraps at 32
    /// bits before the zero-extending write). CMP and TEST then leave nothing to do.
    /// </summary>
    void EmitBinaryNoFlags(in Instruction i)
    {
        OpCode op;
        switch (i.Mnemonic)
        {
            case Mnemonic.Cmp: case Mnemonic.Test: return;
            case Mnemonic.Add: op = OpCodes.Add; break;
            case Mnemonic.Sub: op = OpCodes.Sub; break;
            case Mnemonic.And: op = OpCodes.And; break;
            case Mnemonic.Or: op = OpCodes.Or; break;
            default: op = OpCodes.Xor; break;
        }
        _regs.EmitRead(i.Op0Register);
        EmitSource(i);
        _il.Emit(op);
        if (!Is64(i.Op0Register)) _il.Emit(OpCodes.Conv_U4);
        _regs.EmitWrite(i.Op0Register);
    }

    /// <summary>INC/DEC without the flag record: DEST ± 1 at the operand width.</summary>
    void EmitStepNoFlags(in Instruction i, OpCode op)
    {
        var dest = i.Op0Register;
        _regs.EmitRead(dest);
        if (Is64(dest)) _il.Emit(OpCodes.Ldc_I8, 1L); else _il.Emit(OpCodes.Ldc_I4_1);
        _il.Emit(op);
        if (!Is64(dest)) _il.Emit(OpCodes.Conv_U4);
        _regs.EmitWrite(dest);
    }

    /// <summary>
    /// SHL/SHR/SAR/ROL/ROR r, imm8 through the interpreter's own <c>Shift</c> method (count masked
    /// there; a zero count leaves the flags alone). The 32-bit destination is written even for a
    /// zero count, as the handler writes it (zero-extending, SDM vol.1 §3.4.1.1).
    /// </summary>
    void EmitShift(in Instruction i)
    {
        var dest = i.Op0Register;
        string name = i.Mnemonic == Mnemonic.Sal ? "Shl" : i.Mnemonic.ToString();
        _il.Emit(OpCodes.Ldarg_0);
        _regs.EmitRead(dest);
        _il.Emit(OpCodes.Ldc_I4, (int)(i.GetImmediate(1) & 0xFF));
        _il.Emit(OpCodes.Call, Members.Shift(name, WidthType(dest)));
        _regs.EmitWrite(dest);
    }

    /// <summary>
    /// SHL/SAL/SHR/SAR/ROL/ROR r, imm8 without the flag record: the count masked at compile time
    /// as <c>Shift</c> masks it (5 bits, 6 for 64-bit operands; SDM vol.2 SAL/SAR/SHL/SHR, ROL/ROR),
    /// so it is below the width and the IL shift is the instruction's; a zero count writes the
    /// value back unchanged (zero-extended at 32 bits, as the handler writes it).
    /// </summary>
    void EmitShiftNoFlags(in Instruction i)
    {
        var dest = i.Op0Register;
        bool wide = Is64(dest);
        int bits = wide ? 64 : 32;
        int n = (int)(i.GetImmediate(1) & (wide ? 0x3Fu : 0x1Fu));
        _regs.EmitRead(dest);
        if (n != 0)
        {
            switch (i.Mnemonic)
            {
                case Mnemonic.Shl: case Mnemonic.Sal: EmitShiftBy(OpCodes.Shl, n); break;
                case Mnemonic.Shr: EmitShiftBy(OpCodes.Shr_Un, n); break;
                case Mnemonic.Sar: EmitShiftBy(OpCodes.Shr, n); break;
                default: // ROL, ROR: (v << n) | (v >> (bits − n)) and its mirror
                    bool left = i.Mnemonic == Mnemonic.Rol;
                    var v = _il.DeclareLocal(WidthType(dest));
                    _il.Emit(OpCodes.Stloc, v);
                    _il.Emit(OpCodes.Ldloc, v);
                    EmitShiftBy(left ? OpCodes.Shl : OpCodes.Shr_Un, n);
                    _il.Emit(OpCodes.Ldloc, v);
                    EmitShiftBy(left ? OpCodes.Shr_Un : OpCodes.Shl, bits - n);
                    _il.Emit(OpCodes.Or);
                    break;
            }
        }
        _regs.EmitWrite(dest);
    }

    void EmitShiftBy(OpCode op, int n)
    {
        _il.Emit(OpCodes.Ldc_I4, n);
        _il.Emit(op);
    }

    /// <summary>IMUL r, r / IMUL r, r, imm without the flag record: the low half of the product, which signed and unsigned multiplication share.</summary>
    void EmitMultiplyNoFlags(in Instruction i)
    {
        var dest = i.Op0Register;
        _regs.EmitRead(i.Op1Register);
        if (i.OpCount == 3) OperandEmitter.EmitImmediate(_il, dest, i.GetImmediate(2));
        else _regs.EmitRead(dest);
        _il.Emit(OpCodes.Mul);
        _regs.EmitWrite(dest);
    }

    /// <summary>IMUL r, r / IMUL r, r, imm through <c>Alu.IMul</c>, operands in the handler's order (r/m first).</summary>
    void EmitMultiply(in Instruction i)
    {
        var dest = i.Op0Register;
        var type = WidthType(dest);
        var high = _il.DeclareLocal(type); // the discarded upper half
        _il.Emit(OpCodes.Ldarg_0);
        _regs.EmitRead(i.Op1Register);
        if (i.OpCount == 3) OperandEmitter.EmitImmediate(_il, dest, i.GetImmediate(2));
        else _regs.EmitRead(dest);
        _il.Emit(OpCodes.Ldloca, high);
        _il.Emit(OpCodes.Call, Members.Alu("IMul", type));
        _regs.EmitWrite(dest);
    }

    /// <summary>INC/DEC r: CF unchanged (SDM vol.2 INC/DEC), which Alu.Inc/Dec handles.</summary>
    void EmitUnary(in Instruction i, string name)
    {
        var dest = i.Op0Register;
        _il.Emit(OpCodes.Ldarg_0);
        _regs.EmitRead(dest);
        _il.Emit(OpCodes.Call, Members.Alu(name, WidthType(dest)));
        _regs.EmitWrite(dest);
    }

    /// <summary>
    /// LEA r, [base + index*scale + disp] at a 64-bit address size: the effective address,
    /// truncated to the destination (SDM vol.2 LEA, Table 3-53), exactly as Cpu.EffectiveAddress.
    /// </summary>
    void EmitLea(in Instruction i)
    {
        _il.Emit(OpCodes.Ldc_I8, unchecked((long)i.MemoryDisplacement64));
        if (i.MemoryBase != Register.None)
        {
            _il.Emit(OpCodes.Ldloc, _regs.Of(i.MemoryBase));
            _il.Emit(OpCodes.Add);
        }
        if (i.MemoryIndex != Register.None)
        {
            _il.Emit(OpCodes.Ldloc, _regs.Of(i.MemoryIndex));
            if (i.MemoryIndexScale != 1)
            {
                _il.Emit(OpCodes.Ldc_I8, (long)i.MemoryIndexScale);
                _il.Emit(OpCodes.Mul);
            }
            _il.Emit(OpCodes.Add);
        }
        if (!Is64(i.Op0Register)) _il.Emit(OpCodes.Conv_U4);
        _regs.EmitWrite(i.Op0Register);
    }
}
