using Iced.Intel;

namespace JitVirt.IlJit;

/// <summary>
/// Which instructions the compiler emits inline. The register forms (<see cref="Kind.Mov"/> to
/// <see cref="Kind.Lea"/>) only touch GPRs and the lazy flag record and cannot fault, so they need
/// no RIP/NextRip bookkeeping of their own. The memory forms (<see cref="IsMemory"/>) touch guest
/// RAM through the software TLB inline and, on anything but a plain hit (miss, MMIO, code or
/// watched page-table frame, page crossing, alignment checking), run the interpreter's own handler
/// for the instruction, which raises whatever the SDM says it raises (<see cref="MemoryEmitter"/>).
/// Memory forms are 64-bit code with a 64-bit address size only; their memory operand may be 8,
/// 16, 32 or 64 bits, but a register destination is 32/64-bit (no partial-register merge).
/// Anything with a LOCK prefix or another operand shape calls the interpreter's handler outright.
/// </summary>
static class InlineForms
{
    public enum Kind : byte
    {
        None, Mov, Binary, Inc, Dec, Lea,
        /// <summary>SHL/SAL/SHR/SAR/ROL/ROR r32/r64, imm8 (the count masked as the handler masks it).</summary>
        Shift,
        /// <summary>IMUL r32/r64, r (two operands) and IMUL r32/r64, r, imm (three operands).</summary>
        Multiply,
        /// <summary>MOV r32/r64, m.</summary>
        Load,
        /// <summary>MOV m8/m16/m32/m64, r/imm.</summary>
        Store,
        /// <summary>ADD/SUB/AND/OR/XOR/CMP r32/r64, m.</summary>
        BinaryLoad,
        /// <summary>ADD/SUB/AND/OR/XOR/CMP/TEST m8/m16/m32/m64, r/imm (CMP and TEST only read).</summary>
        BinaryMemory,
        /// <summary>PUSH r64 / PUSH imm (64-bit operand size).</summary>
        Push,
        /// <summary>POP r64.</summary>
        Pop,
        /// <summary>CALL rel32 (64-bit): push of the return RIP, then the transfer; ends the block.</summary>
        Call,
        /// <summary>RET (64-bit, no immediate): pop of the target; ends the block.</summary>
        Ret,
        /// <summary>MOVZX/MOVSX r32/r64, m8/m16 and MOVSXD r64, m32.</summary>
        LoadExtend,
    }

    public static Kind Classify(in Instruction i)
    {
        if (i.IsInvalid || i.HasLockPrefix) return Kind.None;
        if (i.Mnemonic is Mnemonic.Push or Mnemonic.Pop) return ClassifyStack(i);
        if (i.Mnemonic is Mnemonic.Shl or Mnemonic.Sal or Mnemonic.Shr or Mnemonic.Sar or Mnemonic.Rol or Mnemonic.Ror) return ClassifyShift(i);
        if (i.Mnemonic == Mnemonic.Imul) return ClassifyMultiply(i);
        if (i.Code is Code.Call_rel32_64 or Code.Retnq) return MemoryFastPath && i.CodeSize == CodeSize.Code64 ? (i.Code == Code.Retnq ? Kind.Ret : Kind.Call) : Kind.None;
        if (i.OpCount != (i.Mnemonic is Mnemonic.Inc or Mnemonic.Dec ? 1 : 2)) return Kind.None;
        if (i.Op0Kind == OpKind.Memory) return ClassifyMemoryDestination(i);
        if (i.Op0Kind != OpKind.Register || !IsGpr3264(i.Op0Register)) return Kind.None;
        switch (i.Mnemonic)
        {
            case Mnemonic.Mov:
                if (i.Op1Kind == OpKind.Memory) return IsFlatMemory64(i, i.Op0Register.GetSize()) ? Kind.Load : Kind.None;
                return SourceIsRegOrImm(i) ? Kind.Mov : Kind.None;
            case Mnemonic.Add: case Mnemonic.Sub: case Mnemonic.And: case Mnemonic.Or:
            case Mnemonic.Xor: case Mnemonic.Cmp: case Mnemonic.Test:
                if (i.Op1Kind == OpKind.Memory) return IsFlatMemory64(i, i.Op0Register.GetSize()) ? Kind.BinaryLoad : Kind.None;
                return SourceIsRegOrImm(i) ? Kind.Binary : Kind.None;
            case Mnemonic.Movzx: case Mnemonic.Movsx: case Mnemonic.Movsxd:
                if (i.Op1Kind != OpKind.Memory) return Kind.None;
                int from = i.MemorySize.GetSize();
                return from < i.Op0Register.GetSize() && IsFlatMemory64(i, from) ? Kind.LoadExtend : Kind.None;
            case Mnemonic.Inc: return Kind.Inc;
            case Mnemonic.Dec: return Kind.Dec;
            case Mnemonic.Lea:
                return IsSimpleLea(i) ? Kind.Lea : Kind.None;
            default: return Kind.None;
        }
    }

    /// <summary>
    /// Shifts and rotates of a 32/64-bit register by an immediate: they cannot fault, and the
    /// result and flags come from the same <c>Shift</c> method the interpreter's handler calls.
    /// By CL (an 8-bit register read) and memory destinations stay with the handler.
    /// </summary>
    static Kind ClassifyShift(in Instruction i)
        => i.OpCount == 2 && i.Op0Kind == OpKind.Register && IsGpr3264(i.Op0Register) && i.Op1Kind == OpKind.Immediate8 ? Kind.Shift : Kind.None;

    /// <summary>
    /// IMUL r, r and IMUL r, r, imm at 32/64 bits (SDM vol.2 IMUL: the truncated product, CF=OF on
    /// signed overflow): no memory operand, so nothing can fault. The one-operand form writes
    /// RDX:RAX and stays with the handler.
    /// </summary>
    static Kind ClassifyMultiply(in Instruction i)
    {
        if (i.Op0Kind != OpKind.Register || !IsGpr3264(i.Op0Register)) return Kind.None;
        if (i.Op1Kind != OpKind.Register || i.Op1Register.GetSize() != i.Op0Register.GetSize()) return Kind.None;
        if (i.OpCount == 2) return Kind.Multiply;
        return i.OpCount == 3 && i.Op2Kind is OpKind.Immediate8to32 or OpKind.Immediate32 or OpKind.Immediate8to64 or OpKind.Immediate32to64
            ? Kind.Multiply : Kind.None;
    }

    /// <summary>True for the forms that access guest memory (and so may leave through their handler).</summary>
    public static bool IsMemory(Kind kind) => kind >= Kind.Load;

    /// <summary>True for the forms that set cpu.NextRip to a branch target (the block's end takes RIP from it).</summary>
    public static bool TransfersControl(Kind kind) => kind is Kind.Call or Kind.Ret;

    /// <summary>
    /// True when the form replaces the whole lazy flag record (all six status flags) when it
    /// completes: ADD/SUB/AND/OR/XOR/CMP/TEST in any operand shape, and INC/DEC (which keep CF, so
    /// they also read it; see <see cref="ReadsFlags"/>). SDM vol.1 Appendix A, Table A-2.
    /// </summary>
    public static bool WritesFlags(Kind kind) => kind is Kind.Binary or Kind.Inc or Kind.Dec or Kind.BinaryLoad or Kind.BinaryMemory;

    /// <summary>
    /// True when the flag record before the form can be observed at or through it: a helper
    /// (<see cref="Kind.None"/>) may read anything, INC/DEC keep CF, and a memory form may leave
    /// the body through a fault or a pending event with the record as it was before it. A flag
    /// write before such a form is live.
    /// </summary>
    public static bool ReadsFlags(Kind kind) => kind is Kind.None or Kind.Inc or Kind.Dec || IsMemory(kind);

    /// <summary>
    /// When false, memory forms are not inlined (they call their handler like any other
    /// instruction): the IL tier as it was before the memory fast path, for benchmarks comparing
    /// the two. Read when a block is compiled.
    /// </summary>
    public static bool MemoryFastPath { get => MemoryFastPathSwitch.Enabled; }

    static Kind ClassifyMemoryDestination(in Instruction i)
    {
        int size = i.MemorySize.GetSize();
        if (!IsFlatMemory64(i, size)) return Kind.None;
        bool sourceOk = i.Op1Kind switch
        {
            OpKind.Register => i.Op1Register.IsGPR() && i.Op1Register.GetSize() == size,
            OpKind.Immediate8 or OpKind.Immediate16 or OpKind.Immediate8to16 => true,
            OpKind.Immediate8to32 or OpKind.Immediate32 or OpKind.Immediate8to64 or OpKind.Immediate32to64 => true,
            _ => false,
        };
        if (!sourceOk) return Kind.None;
        return i.Mnemonic switch
        {
            Mnemonic.Mov => Kind.Store,
            Mnemonic.Add or Mnemonic.Sub or Mnemonic.And or Mnemonic.Or or Mnemonic.Xor or Mnemonic.Cmp or Mnemonic.Test => Kind.BinaryMemory,
            _ => Kind.None,
        };
    }

    /// <summary>PUSH r64 / PUSH imm8/imm32 and POP r64 at the 64-bit operand size (no 66h prefix) in 64-bit mode.</summary>
    static Kind ClassifyStack(in Instruction i)
    {
        if (!MemoryFastPath || i.CodeSize != CodeSize.Code64 || i.OpCount != 1) return Kind.None;
        bool push = i.Mnemonic == Mnemonic.Push;
        if (i.Op0Kind == OpKind.Register && i.Op0Register.IsGPR64()) return push ? Kind.Push : Kind.Pop;
        if (push && i.Op0Kind is OpKind.Immediate8to64 or OpKind.Immediate32to64) return Kind.Push;
        return Kind.None;
    }

    /// <summary>
    /// A memory operand of <paramref name="size"/> bytes (1, 2, 4 or 8) the fast path can address: 64-bit code,
    /// 64-bit address size (GPR64 base/index, RIP-relative, or an absolute 64-bit displacement).
    /// In 64-bit mode only FS and GS add a base (SDM vol.1 §3.3.7.1), so the linear address is the
    /// effective address plus at most that base.
    /// </summary>
    static bool IsFlatMemory64(in Instruction i, int size)
    {
        if (!MemoryFastPath || i.CodeSize != CodeSize.Code64 || size is not (1 or 2 or 4 or 8)) return false;
        var b = i.MemoryBase;
        var x = i.MemoryIndex;
        if (b != Register.None && b != Register.RIP && !b.IsGPR64()) return false;
        if (x != Register.None && !x.IsGPR64()) return false;
        if (b == Register.None && x == Register.None && i.MemoryDisplSize != 8) return false;
        return true;
    }

    static bool IsGpr3264(Register r) => r.IsGPR32() || r.IsGPR64();

    static bool SourceIsRegOrImm(in Instruction i) => i.Op1Kind switch
    {
        OpKind.Register => IsGpr3264(i.Op1Register) && i.Op1Register.GetSize() == i.Op0Register.GetSize(),
        OpKind.Immediate8to32 or OpKind.Immediate32 or OpKind.Immediate8to64 or OpKind.Immediate32to64 or OpKind.Immediate64 => true,
        _ => false,
    };

    /// <summary>LEA with a 64-bit address size: optional 64-bit base, optional 64-bit index, no RIP and no segment relevance.</summary>
    static bool IsSimpleLea(in Instruction i)
    {
        if (i.Op1Kind != OpKind.Memory) return false;
        var b = i.MemoryBase;
        var x = i.MemoryIndex;
        if (b == Register.None && x == Register.None) return false;
        if (b != Register.None && !b.IsGPR64()) return false;
        if (x != Register.None && !x.IsGPR64()) return false;
        return true;
    }
}
