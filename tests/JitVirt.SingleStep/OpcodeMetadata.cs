using System.Text.Json;

namespace JitVirt.SingleStep;

/// <summary>
/// Per-opcode status and undefined-flag masks from <c>v1_real_mode/metadata.json</c>
/// (README "Undefined flags").
/// </summary>
public sealed class OpcodeMetadata
{
    private readonly Dictionary<string, OpcodeInfo> _opcodes = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, OpcodeInfo> _groupForms = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _groupOpcodes = new(StringComparer.OrdinalIgnoreCase);

    public string Version { get; private init; } = "";
    public string Cpu { get; private init; } = "";

    public static OpcodeMetadata Load(string path)
    {
        using var stream = File.OpenRead(path);
        using var doc = JsonDocument.Parse(stream);
        var root = doc.RootElement;
        var metadata = new OpcodeMetadata
        {
            Version = root.TryGetProperty("version", out var v) ? v.GetString() ?? "" : "",
            Cpu = root.TryGetProperty("cpu", out var c) ? c.GetString() ?? "" : "",
        };
        foreach (var opcode in root.GetProperty("opcodes").EnumerateObject())
        {
            metadata._opcodes[opcode.Name] = ReadInfo(opcode.Value);
            if (!opcode.Value.TryGetProperty("reg", out var regs)) continue;
            metadata._groupOpcodes.Add(opcode.Name);
            foreach (var reg in regs.EnumerateObject())
                metadata._groupForms[$"{opcode.Name}.{reg.Name}"] = ReadInfo(reg.Value);
        }
        return metadata;
    }

    /// <summary>Whether the metadata describes this opcode per ModRM.reg (80–83, 8F, C0, C1, C6, C7, D0–D3, F6, F7, FE, FF).</summary>
    public bool IsGroupOpcode(byte opcode) => _groupOpcodes.Contains(opcode.ToString("X2"));

    /// <summary>The entry for a form: the reg entry for a group form, else the opcode entry,
    /// else <see cref="OpcodeInfo.Unknown"/> (all flags defined).</summary>
    public OpcodeInfo Lookup(InstructionForm form)
    {
        string op = form.Opcode.ToString("X2");
        if (form.Reg is { } reg && _groupForms.TryGetValue($"{op}.{reg}", out var regInfo)) return regInfo;
        return _opcodes.TryGetValue(op, out var info) ? info : OpcodeInfo.Unknown;
    }

    /// <summary>The entry that applies to one test's bytes. Needed where a file holds several
    /// reg values of a group opcode (8F, C6, C7 mix reg 0 with invalid regs).</summary>
    public OpcodeInfo LookupForTest(SingleStepTest test) =>
        Lookup(FormOfTest(test));

    public InstructionForm FormOfTest(SingleStepTest test)
    {
        int at = InstructionBytes.OpcodeOffset(test.Bytes);
        return InstructionBytes.FormOf(test.Bytes, IsGroupOpcode(test.Bytes[at]));
    }

    private static OpcodeInfo ReadInfo(JsonElement entry)
    {
        string status = entry.TryGetProperty("status", out var s) ? s.GetString() ?? "" : "";
        string arch = entry.TryGetProperty("arch", out var a) ? a.GetString() ?? "" : "";
        string? flags = entry.TryGetProperty("flags", out var f) ? f.GetString() : null;
        ushort mask = entry.TryGetProperty("flags-mask", out var m) ? m.GetUInt16() : OpcodeInfo.AllFlagsDefined;
        return new OpcodeInfo(status, arch, flags, mask);
    }
}
