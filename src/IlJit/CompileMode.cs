namespace JitVirt.IlJit;

/// <summary>Where and when <see cref="TieredExecutor"/> compiles a block that has become hot.</summary>
public enum CompileMode
{
    /// <summary>On the guest's thread, at once: the block's first hot entry already runs compiled (tests, lockstep).</summary>
    Synchronous,

    /// <summary>
    /// On a compile thread; the block keeps running interpreted until its body is ready, and the body
    /// is installed at the next block boundary after that. Guest state is the same whatever the
    /// instant (the two tiers are equivalent, lockstep-tested), but the IL counters depend on timing.
    /// </summary>
    Background,

    /// <summary>
    /// On a compile thread, but bodies are installed only at the start of <see cref="TieredExecutor.Run"/>,
    /// which first waits for every compile requested during the previous run: every counter, the
    /// IL tier's included, is then the same from run to run (for --deterministic runs and tests).
    /// </summary>
    BackgroundDeterministic,
}
