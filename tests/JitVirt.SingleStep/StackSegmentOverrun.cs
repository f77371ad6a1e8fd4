namespace JitVirt.SingleStep;

/// <summary>
/// Decides whether a test's segment-overrun fault (a word at offset FFFFh) is an access through
/// SS: a ModRM operand based on BP or overridden with SS, an implicit stack pop, LEAVE's read at
/// BP, or a string source with an SS override. Only the cases the data holds are modelled.
/// </summary>
public static class StackSegmentOverrun
{
    private const ushort LastOffset = 0xFFFF;

    public static bool IsStackSegmentAccessAtSegmentEnd(SingleStepTest test)
    {
        var bytes = test.Bytes;
        var regs = test.InitialRegisters;
        int at = InstructionBytes.OpcodeOffset(bytes);
        byte opcode = bytes[at];
        byte? segment = InstructionBytes.SegmentOverride(bytes);

        int popWords = PoppedWords(opcode);
        if (popWords > 0 && WordAtSegmentEnd(regs[RegisterId.Sp], popWords)) return true;
        if (opcode == 0xC9) return regs[RegisterId.Bp] == LastOffset;      // LEAVE: SP = BP, POP BP
        if (opcode is 0xA4 or 0xA5 or 0xA6 or 0xA7 or 0xAC or 0xAD or 0x6E or 0x6F)
            return segment == InstructionBytes.SsOverridePrefix && regs[RegisterId.Si] == LastOffset;
        if (!HasModRm(opcode) || at + 1 >= bytes.Length) return false;

        byte modrm = bytes[at + 1];
        int mod = modrm >> 6, rm = modrm & 7;
        if (mod == 3) return false;
        bool bpBased = rm is 2 or 3 || (rm == 6 && mod != 0);
        bool viaSs = segment is { } s ? s == InstructionBytes.SsOverridePrefix : bpBased;
        if (!viaSs) return false;
        int reg = modrm >> 3 & 7;
        bool twoWords = opcode is 0x62 or 0xC4 or 0xC5 || (opcode == 0xFF && reg is 3 or 5); // BOUND, LES, LDS, far CALL/JMP m16:16
        int operandWords = twoWords ? 2 : 1;
        return WordAtSegmentEnd(EffectiveAddress(bytes.AsSpan(at + 1), regs), operandWords);
    }

    /// <summary>True if any of <paramref name="words"/> consecutive words from <paramref name="offset"/> starts at FFFFh.</summary>
    private static bool WordAtSegmentEnd(ushort offset, int words)
    {
        for (int i = 0; i < words; i++)
            if ((ushort)(offset + 2 * i) == LastOffset) return true;
        return false;
    }

    private static int PoppedWords(byte opcode) => opcode switch
    {
        0x07 or 0x17 or 0x1F or >= 0x58 and <= 0x5F or 0x9D or 0xC2 or 0xC3 => 1,
        0x8F => 1,
        0xCA or 0xCB => 2,
        0xCF => 3,
        0x61 => 8,
        _ => 0,
    };

    private static bool HasModRm(byte opcode) =>
        opcode <= 0x3F ? (opcode & 7) < 4 :
        opcode is 0x62 or 0x69 or 0x6B or >= 0x80 and <= 0x8F or 0xC0 or 0xC1 or 0xC4 or 0xC5 or 0xC6 or 0xC7
            or >= 0xD0 and <= 0xD3 or >= 0xD8 and <= 0xDF or 0xF6 or 0xF7 or 0xFE or 0xFF;

    /// <summary>16-bit effective address of a ModRM memory operand (Intel SDM Vol. 2A, Table 2-1).</summary>
    private static ushort EffectiveAddress(ReadOnlySpan<byte> modrmAndDisp, RegisterSet r)
    {
        byte modrm = modrmAndDisp[0];
        int mod = modrm >> 6, rm = modrm & 7;
        int disp = mod switch
        {
            1 => (sbyte)modrmAndDisp[1],
            2 => modrmAndDisp[1] | modrmAndDisp[2] << 8,
            _ => 0,
        };
        if (mod == 0 && rm == 6) return (ushort)(modrmAndDisp[1] | modrmAndDisp[2] << 8);
        int baseValue = rm switch
        {
            0 => r[RegisterId.Bx] + r[RegisterId.Si],
            1 => r[RegisterId.Bx] + r[RegisterId.Di],
            2 => r[RegisterId.Bp] + r[RegisterId.Si],
            3 => r[RegisterId.Bp] + r[RegisterId.Di],
            4 => r[RegisterId.Si],
            5 => r[RegisterId.Di],
            6 => r[RegisterId.Bp],
            _ => r[RegisterId.Bx],
        };
        return (ushort)(baseValue + disp);
    }
}
