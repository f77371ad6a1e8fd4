namespace JitVirt.SingleStep;

/// <summary>The outcome of checking one emulator run against one test.</summary>
public sealed class TestComparison
{
    public required RealModeStatus Status { get; init; }
    public string? Message { get; init; }

    /// <summary>Expected final registers (INIT overridden by FINA, FLAGS bits 12–15 of an
    /// unchanged FLAGS cleared).</summary>
    public required RegisterSet Expected { get; init; }

    public RegisterSet? Actual { get; init; }

    /// <summary>Bit <c>i</c> set: register <see cref="RegisterId"/> <c>i</c> differs (FLAGS under <see cref="FlagsMask"/>).</summary>
    public ushort RegisterMismatchMask { get; init; }

    public required ushort FlagsMask { get; init; }

    public IReadOnlyList<MemoryMismatch> MemoryMismatches { get; init; } = [];

    public bool Passed => Status == RealModeStatus.Ok && RegisterMismatchMask == 0 && MemoryMismatches.Count == 0;

    public bool RegisterDiffers(RegisterId id) => (RegisterMismatchMask >> (int)id & 1) != 0;
}
