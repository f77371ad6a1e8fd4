namespace JitVirt.SingleStep;

/// <summary>
/// Which instructions a 386+ accepts with LOCK (Intel SDM Vol. 2A, "LOCK—Assert LOCK# Signal
/// Prefix"): ADD, ADC, AND, BTC, BTR, BTS, CMPXCHG, CMPXCHG8B, DEC, INC, NEG, NOT, OR, SBB, SUB,
/// XOR, XADD and XCHG, and only with a memory destination. Anything else raises #UD there.
/// </summary>
public static class LockPrefixRules
{
    public static bool IsLockableOn386(ReadOnlySpan<byte> bytes)
    {
        int at = InstructionBytes.OpcodeOffset(bytes);
        if (at + 1 >= bytes.Length) return false;
        byte opcode = bytes[at];
        byte modrm = bytes[at + 1];
        bool memory = modrm >> 6 != 3;
        int reg = modrm >> 3 & 7;
        bool lockableOpcode = opcode switch
        {
            // ADD OR ADC SBB AND SUB XOR r/m,reg (00/01, 08/09, … 30/31); CMP (38/39) is not lockable.
            <= 0x31 when (opcode & 7) <= 1 => true,
            0x80 or 0x81 or 0x82 or 0x83 => reg != 7,          // group 1 except CMP
            0x86 or 0x87 => true,                              // XCHG
            0xF6 or 0xF7 => reg is 2 or 3,                     // NOT, NEG
            0xFE or 0xFF => reg is 0 or 1,                     // INC, DEC
            _ => false,
        };
        return lockableOpcode && memory;
    }
}
