using Iced.Intel;

namespace JitVirt.IlJit;

/// <summary>
/// Which instructions the compiler emits inline. Every inline form only touches GPRs and the lazy
/// flag record and cannot fault, so it needs no RIP/NextRip bookkeeping of its own. Anything with
/// a LOCK prefix, a memory operand, 8/16-bit operands or a RIP-relative address calls the
/// interpreter's handler instead (which raises whatever the SDM says it raises).
/// </summary>
static class InlineForms
{
    public enum Kind : byte { None, Mov, Binary, Inc, Dec, Lea }

    public static Kind Classify(in Instruction i)
    {
        if (i.IsInvalid || i.HasLockPrefix || i.OpCount != (i.Mnemonic is Mnemonic.Inc or Mnemonic.Dec ? 1 : 2)) return Kind.None;
        if (i.Op0Kind != OpKind.Register || !IsGpr3264(i.Op0Register)) return Kind.None;
        switch (i.Mnemonic)
        {
            case Mnemonic.Mov:
                return SourceIsRegOrImm(i) ? Kind.Mov : Kind.None;
            case Mnemonic.Add: case Mnemonic.Sub: case Mnemonic.And: case Mnemonic.Or:
            case Mnemonic.Xor: case Mnemonic.Cmp: case Mnemonic.Test:
                return SourceIsRegOrImm(i) ? Kind.Binary : Kind.None;
            case Mnemonic.Inc: return Kind.Inc;
            case Mnemonic.Dec: return Kind.Dec;
            case Mnemonic.Lea:
                return IsSimpleLea(i) ? Kind.Lea : Kind.None;
            default: return Kind.None;
        }
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
