using Iced.Intel;

namespace JitVirt.NativeOracle;

/// <summary>
/// One thing to test: an Iced <see cref="Iced.Intel.Code"/> (a specific opcode/operand-size encoding)
/// in one execution mode, with its r/m operand either a register or memory, or — for string
/// instructions — a repeat prefix and address size.
/// </summary>
public sealed class InstructionForm
{
    internal InstructionForm(string name, ExecutionMode mode, Code code, bool usesMemory,
        RepPrefixKind repPrefix = RepPrefixKind.None, int stringAddressSize = 0)
    {
        Name = name;
        Mode = mode;
        Code = code;
        UsesMemory = usesMemory;
        RepPrefix = repPrefix;
        StringAddressSize = stringAddressSize;
    }

    /// <summary>Unique, stable name, e.g. <c>Add_rm32_r32/mem</c> or <c>Movsb_m8_m8/rep/a32</c>.</summary>
    public string Name { get; }

    public ExecutionMode Mode { get; }

    /// <summary>The Iced code this form encodes.</summary>
    public Code Code { get; }

    public Mnemonic Mnemonic => Code.Mnemonic();

    /// <summary>True when an operand is in the scratch block (r/m as memory, string instructions,
    /// CMPXCHG8B/16B).</summary>
    public bool UsesMemory { get; }

    /// <summary>True for MOVS/CMPS/SCAS/LODS/STOS.</summary>
    public bool IsString => StringAddressSize != 0;

    /// <summary>Repeat prefix of a string form.</summary>
    public RepPrefixKind RepPrefix { get; }

    /// <summary>Address size (32/64) of a string form; 0 for other forms.</summary>
    public int StringAddressSize { get; }

    public override string ToString() => Name;
}
