namespace JitVirt.Cli.Gate;

/// <summary>How the gate runs its guests: the front ends, the IL tier's compile threshold, and the test-only chaining switch.</summary>
public sealed record GateSettings
{
    /// <summary>Set to 1 to run the IL tier without block chaining: a deliberate regression the gate must catch.</summary>
    public const string DisableChainingVariable = "JITVIRT_GATE_DISABLE_CHAINING";

    public IReadOnlyList<string> FrontEnds { get; init; } = ["svm", "vmx"];

    /// <summary>
    /// A block is compiled on its third entry: cold boot code stays in the interpreter, loops are compiled,
    /// so both tiers and the hand-over between them are exercised.
    /// </summary>
    public long CompileThreshold { get; init; } = 2;

    /// <summary>Block chaining in the IL tier (TieredExecutor.Chaining). Off only to prove the gate catches a regression.</summary>
    public bool Chaining { get; init; } = true;

    /// <summary>The IL tier's region cap (TieredExecutor.MaxRegionInstructions): 1 runs single blocks, whose loops need chaining.</summary>
    public int MaxRegionInstructions { get; init; } = JitVirt.IlJit.TieredExecutor.DefaultMaxRegionInstructions;

    /// <summary>The defaults, with chaining off when <see cref="DisableChainingVariable"/> is 1.</summary>
    public static GateSettings FromEnvironment() =>
        new() { Chaining = Environment.GetEnvironmentVariable(DisableChainingVariable) != "1" };
}
