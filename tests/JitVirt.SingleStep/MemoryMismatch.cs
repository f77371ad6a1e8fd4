namespace JitVirt.SingleStep;

/// <summary>A byte whose value differs (under <paramref name="Mask"/>) from the expected one.</summary>
/// <param name="Mask">0xFF, or the undefined-flag mask's byte for the FLAGS word an exception pushed.</param>
/// <param name="ExpectedWrite">True for a FINA byte, false for an INIT byte that should be unchanged.</param>
public readonly record struct MemoryMismatch(uint Address, byte Expected, byte Actual, byte Mask, bool ExpectedWrite);
