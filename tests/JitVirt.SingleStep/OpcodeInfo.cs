namespace JitVirt.SingleStep;

/// <summary>
/// One entry of <c>metadata.json</c> (<c>opcodes["OP"]</c> or <c>opcodes["OP"].reg["R"]</c>).
/// </summary>
/// <param name="Status">"normal", "alias", "undocumented", "undefined", "prefix", "fpu", …</param>
/// <param name="Arch">CPU that introduced the form: "86", "186", "286", "v30".</param>
/// <param name="UndefinedFlags">The <c>flags</c> string (a letter marks an undefined flag), or null.</param>
/// <param name="FlagsMask">The <c>flags-mask</c> AND mask; 0xFFFF when every flag is defined.</param>
public sealed record OpcodeInfo(string Status, string Arch, string? UndefinedFlags, ushort FlagsMask)
{
    /// <summary>Every flag defined: README "Where neither is present, every flag is defined".</summary>
    public const ushort AllFlagsDefined = 0xFFFF;

    public static OpcodeInfo Unknown { get; } = new("unknown", "", null, AllFlagsDefined);
}
