namespace JitVirt.Cli.Gate;

/// <summary>
/// One guest of the regression gate, as <c>jitvirt run</c> would be asked to boot it: a flat image written
/// to a temporary file and passed as <c>-kernel</c> (with isa-debug-exit), or plain <c>run</c> arguments
/// (no arguments at all boots the built-in demo guest).
/// </summary>
public sealed record GateGuest(string Name, string Description)
{
    /// <summary>A flat real-mode image booted with <c>-kernel</c>; null when <see cref="Arguments"/> say what to boot.</summary>
    public byte[]? FlatImage { get; init; }

    /// <summary>Further <c>jitvirt run</c> arguments (the Linux guest's -kernel, -initrd, -append, -m).</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Wall-time limit of one run: a run that hits it ends as Timeout, which the gate reports as a changed outcome.</summary>
    public double TimeoutSeconds { get; init; } = 300;
}
