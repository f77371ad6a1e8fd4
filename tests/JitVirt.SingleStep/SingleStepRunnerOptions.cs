namespace JitVirt.SingleStep;

public sealed record SingleStepRunnerOptions
{
    /// <summary>Failure descriptions kept per form.</summary>
    public int MaxFailuresPerForm { get; init; } = 3;

    /// <summary>Which forms to run (null: all).</summary>
    public Func<InstructionForm, bool>? FormFilter { get; init; }

    /// <summary>Passed to <see cref="RealModeSetup.InstructionLimit"/>.</summary>
    public int InstructionLimit { get; init; } = RealModeSetup.DefaultInstructionLimit;
}
