namespace JitVirt.Cli;

/// <summary>How the guest code of a front end's vCPU runs (<c>--tier</c>).</summary>
public enum ExecutionTier
{
    /// <summary>The tiered executor: the interpreter for cold code, .NET IL for hot blocks (compiled on a background thread).</summary>
    Il,
    /// <summary>The interpreter alone (for comparison and for bisecting a suspected IL-tier bug).</summary>
    Interpreter,
}

public static class ExecutionTierNames
{
    public static ExecutionTier Parse(string name) => name switch
    {
        "il" => ExecutionTier.Il,
        "interpreter" => ExecutionTier.Interpreter,
        _ => throw new UsageException($"--tier: unknown tier '{name}' (known: il, interpreter)"),
    };
}
