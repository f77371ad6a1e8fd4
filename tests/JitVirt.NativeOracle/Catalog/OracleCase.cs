using Iced.Intel;

namespace JitVirt.NativeOracle;

/// <summary>
/// One test: instruction bytes plus the state to run them from. <see cref="Initial"/> must not be
/// handed to an executor directly (it would be overwritten); copy it first
/// (<see cref="OracleState.CopyFrom"/> or <see cref="OracleState.Clone"/>).
/// </summary>
public sealed class OracleCase
{
    /// <summary>A hand-made case; <paramref name="code"/> is decoded at the layout's code address for
    /// <paramref name="mode"/> to describe it and to find its operands.</summary>
    public OracleCase(ExecutionMode mode, string formName, byte[] code, OracleState initial, OracleLayout layout,
        int seed = 0, ulong caseSeed = 0)
        : this(mode, formName, code, initial, layout, Decode(mode, code, layout.CodeAddress(mode)), seed, caseSeed)
    {
    }

    internal OracleCase(ExecutionMode mode, string formName, byte[] code, OracleState initial, OracleLayout layout,
        Instruction instruction, int seed, ulong caseSeed)
    {
        Layout = layout;
        Mode = mode;
        FormName = formName;
        Code = code;
        Initial = initial;
        Instruction = instruction;
        Seed = seed;
        CaseSeed = caseSeed;
    }

    public ExecutionMode Mode { get; }

    /// <summary>The addresses the case was made for.</summary>
    public OracleLayout Layout { get; }

    /// <summary>Name of the <see cref="InstructionForm"/> the case was generated from.</summary>
    public string FormName { get; }

    /// <summary>The instruction bytes (one instruction for generated cases).</summary>
    public byte[] Code { get; }

    /// <summary>The state to start from.</summary>
    public OracleState Initial { get; }

    /// <summary>The first instruction of <see cref="Code"/>, as Iced sees it.</summary>
    public Instruction Instruction { get; }

    /// <summary>The seed passed to <see cref="FormCatalog.Generate"/>.</summary>
    public int Seed { get; }

    /// <summary>The per-case seed; <see cref="FormCatalog.CreateCase"/> rebuilds exactly this case from it.</summary>
    public ulong CaseSeed { get; }

    /// <summary>Intel-syntax disassembly plus the bytes, e.g. <c>add eax,ebx  [01 D8]</c>.</summary>
    public string Disassembly
    {
        get
        {
            var output = new StringOutput();
            new IntelFormatter().Format(Instruction, output);
            return $"{output.ToStringAndReset()}  [{Convert.ToHexString(Code)}]";
        }
    }

    public override string ToString() => $"{Mode} {FormName}: {Disassembly}";

    private static Instruction Decode(ExecutionMode mode, byte[] code, ulong codeAddress)
    {
        var decoder = Decoder.Create(mode == ExecutionMode.Long64 ? 64 : 32, new ByteArrayCodeReader(code));
        decoder.IP = codeAddress;
        return decoder.Decode();
    }
}
