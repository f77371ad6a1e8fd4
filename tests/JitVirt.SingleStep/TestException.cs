namespace JitVirt.SingleStep;

/// <summary>
/// A MOO <c>EXCP</c> chunk: the interrupt vector the CPU took and the linear address of the
/// FLAGS word it pushed (little-endian, in the <c>FINA</c> RAM).
/// </summary>
public readonly record struct TestException(byte Vector, uint FlagAddress);
