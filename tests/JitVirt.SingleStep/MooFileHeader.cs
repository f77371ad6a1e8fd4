namespace JitVirt.SingleStep;

/// <summary>
/// The <c>MOO </c> and <c>META</c> chunks of a file (README "MOO layout").
/// <see cref="TestCount"/> comes from the <c>MOO </c> header, which the README says to trust
/// over <c>META.test_ct</c>.
/// </summary>
public sealed record MooFileHeader(
    byte MajorVersion,
    byte MinorVersion,
    uint TestCount,
    string CpuId,
    uint Opcode,
    string Mnemonic,
    byte CpuMode);
