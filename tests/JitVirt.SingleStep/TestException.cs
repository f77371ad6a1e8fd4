namespace JitVirt.SingleStep;

/// <summary>
/// A MOO <c>EXCP</c> chunk: the interrupt vector the CPU took and the linear address of the
/// FLAGS word it pushed (little-endian, in the <c>FINA</c> RAM).
/// </summary>
/// <remarks><see cref="FlagAddress"/> is as recorded: the word-aligned bus address, one below the
/// real FLAGS location when SP was odd. Use <see cref="ExceptionFrame.PushedFlagsAddress"/>.</remarks>
public readonly record struct TestException(byte Vector, uint FlagAddress);
