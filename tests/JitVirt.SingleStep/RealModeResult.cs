namespace JitVirt.SingleStep;

/// <summary>What the emulator reports after running one test.</summary>
public sealed class RealModeResult
{
    public required RealModeStatus Status { get; init; }

    /// <summary>The 14 registers after the HLT (IP one past it). May be partial or null unless
    /// <see cref="Status"/> is <see cref="RealModeStatus.Ok"/>.</summary>
    public RegisterSet? Registers { get; init; }

    /// <summary>The memory after the run; only read when <see cref="Status"/> is Ok.</summary>
    public IMemoryReadback? Memory { get; init; }

    /// <summary>Why the run was Hung or a HostError.</summary>
    public string? Message { get; init; }

    public static RealModeResult Ok(RegisterSet registers, IMemoryReadback memory) =>
        new() { Status = RealModeStatus.Ok, Registers = registers, Memory = memory };

    public static RealModeResult Hung(string message, RegisterSet? registers = null) =>
        new() { Status = RealModeStatus.Hung, Message = message, Registers = registers };

    public static RealModeResult HostError(string message) =>
        new() { Status = RealModeStatus.HostError, Message = message };
}
