namespace JitVirt.SingleStep;

/// <summary>
/// An instruction form as named by the data files: an opcode, plus ModRM.reg for the group
/// opcodes that have one file per reg (README: <c>&lt;OP&gt;.&lt;R&gt;.MOO.gz</c>).
/// </summary>
public readonly record struct InstructionForm(byte Opcode, int? Reg)
{
    /// <summary>"80.3" or "9D" — the same text as the file name without <c>.MOO.gz</c>.</summary>
    public string Key => Reg is { } r ? $"{Opcode:X2}.{r}" : $"{Opcode:X2}";

    public override string ToString() => Key;

    /// <summary>Parses "9D", "80.3" or a file name such as "80.3.MOO.gz".</summary>
    public static InstructionForm Parse(string text)
    {
        var name = Path.GetFileName(text);
        if (name.EndsWith(".MOO.gz", StringComparison.OrdinalIgnoreCase)) name = name[..^".MOO.gz".Length];
        var parts = name.Split('.');
        if (parts.Length is < 1 or > 2 || parts[0].Length != 2)
            throw new FormatException($"Not an instruction form: '{text}'.");
        byte opcode = Convert.ToByte(parts[0], 16);
        int? reg = parts.Length == 2 ? int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) : null;
        if (reg is < 0 or > 7) throw new FormatException($"ModRM.reg out of range in '{text}'.");
        return new InstructionForm(opcode, reg);
    }
}
