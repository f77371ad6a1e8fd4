namespace JitVirt.SingleStep;

/// <summary>The 14 16-bit registers of a real-mode 286 state, indexed by <see cref="RegisterId"/>.</summary>
public sealed class RegisterSet
{
    /// <summary>Number of registers in a MOO <c>REGS</c> chunk (README: bits 0–13 of the mask).</summary>
    public const int Count = 14;

    private static readonly string[] Names =
        ["ax", "bx", "cx", "dx", "cs", "ss", "ds", "es", "sp", "bp", "si", "di", "ip", "flags"];

    private readonly ushort[] _values;

    public RegisterSet() => _values = new ushort[Count];

    public RegisterSet(ReadOnlySpan<ushort> values)
    {
        if (values.Length != Count)
            throw new ArgumentException($"Expected {Count} register values, got {values.Length}.", nameof(values));
        _values = values.ToArray();
    }

    public ushort this[RegisterId id]
    {
        get => _values[(int)id];
        set => _values[(int)id] = value;
    }

    public ushort this[int index]
    {
        get => _values[index];
        set => _values[index] = value;
    }

    public ReadOnlySpan<ushort> Values => _values;

    public RegisterSet Clone() => new(_values);

    public static string NameOf(RegisterId id) => Names[(int)id];

    public override string ToString()
    {
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < Count; i++)
        {
            if (i > 0) sb.Append(' ');
            sb.Append(Names[i]).Append('=').Append(_values[i].ToString("X4"));
        }
        return sb.ToString();
    }
}
