namespace JitVirt.SingleStep;

/// <summary>
/// Minimal decoding of a test's <c>BYTS</c>: the prefixes that the generator may add
/// (README: segment prefixes 26 2E 36 3E, LOCK F0, REP F2/F3), the opcode and its ModRM.
/// </summary>
public static class InstructionBytes
{
    public const byte LockPrefix = 0xF0;
    public const byte SsOverridePrefix = 0x36;

    public static bool IsPrefix(byte b) => b is 0x26 or 0x2E or 0x36 or 0x3E or 0xF0 or 0xF2 or 0xF3;

    /// <summary>Offset of the opcode byte, i.e. the number of prefix bytes.</summary>
    public static int OpcodeOffset(ReadOnlySpan<byte> bytes)
    {
        int i = 0;
        while (i < bytes.Length && IsPrefix(bytes[i])) i++;
        return i;
    }

    public static bool HasPrefix(ReadOnlySpan<byte> bytes, byte prefix)
    {
        int end = OpcodeOffset(bytes);
        for (int i = 0; i < end; i++)
            if (bytes[i] == prefix) return true;
        return false;
    }

    /// <summary>The last segment-override prefix (the one that applies), or null.</summary>
    public static byte? SegmentOverride(ReadOnlySpan<byte> bytes)
    {
        byte? last = null;
        int end = OpcodeOffset(bytes);
        for (int i = 0; i < end; i++)
            if (bytes[i] is 0x26 or 0x2E or 0x36 or 0x3E) last = bytes[i];
        return last;
    }

    /// <summary>The ModRM byte that follows the opcode, or null if the bytes end there.</summary>
    public static byte? ModRm(ReadOnlySpan<byte> bytes)
    {
        int at = OpcodeOffset(bytes) + 1;
        return at < bytes.Length ? bytes[at] : null;
    }

    /// <summary>The form of a test: opcode, plus ModRM.reg when the metadata splits the opcode by reg.</summary>
    public static InstructionForm FormOf(ReadOnlySpan<byte> bytes, bool opcodeIsGroup)
    {
        int at = OpcodeOffset(bytes);
        byte opcode = bytes[at];
        if (!opcodeIsGroup || at + 1 >= bytes.Length) return new InstructionForm(opcode, null);
        return new InstructionForm(opcode, bytes[at + 1] >> 3 & 7);
    }
}
