namespace JitVirt.SingleStep;

/// <summary>One decoded <c>TEST</c> chunk of a MOO file.</summary>
public sealed class SingleStepTest
{
    /// <summary>Upstream test index (rises, with gaps: README "How the subset was selected").</summary>
    public required uint Index { get; init; }

    /// <summary>Disassembly from <c>NAME</c>, e.g. <c>add [bx+0Eh],bl</c>.</summary>
    public required string Name { get; init; }

    /// <summary><c>BYTS</c>: the instruction with its prefixes, followed by the terminating F4 (HLT).</summary>
    public required byte[] Bytes { get; init; }

    /// <summary>All 14 <c>INIT</c> registers, as recorded (FLAGS bits 12–15 not yet cleared).</summary>
    public required RegisterSet InitialRegisters { get; init; }

    public required RamByte[] InitialRam { get; init; }

    /// <summary>Initial registers overridden by the registers present in <c>FINA</c>.</summary>
    public required RegisterSet FinalRegisters { get; init; }

    /// <summary>Presence mask of the <c>FINA</c> <c>REGS</c> chunk (bit = <see cref="RegisterId"/>).</summary>
    public required ushort FinalRegisterMask { get; init; }

    /// <summary><c>FINA</c> RAM: the bytes the instruction wrote.</summary>
    public required RamByte[] FinalRam { get; init; }

    /// <summary>The <c>EXCP</c> chunk, when the instruction raised an exception or interrupt.</summary>
    public TestException? Exception { get; init; }

    /// <summary>The 20-byte SHA-1 from <c>HASH</c> (already verified by <see cref="MooReader"/>).</summary>
    public required byte[] Hash { get; init; }

    public string HashHex => Convert.ToHexStringLower(Hash);

    /// <summary>Length of the instruction under test, without the trailing HLT.</summary>
    public int InstructionLength => Bytes.Length - 1;

    public override string ToString() => $"#{Index} {Name} [{Convert.ToHexString(Bytes)}]";
}
