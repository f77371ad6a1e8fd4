namespace JitVirt.SingleStep;

/// <summary>One byte of a MOO <c>RAM </c> chunk: a 24-bit linear address and its value.</summary>
public readonly record struct RamByte(uint Address, byte Value);
