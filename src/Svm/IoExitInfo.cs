using Iced.Intel;
using JitVirt.Cpu.State;
using JitVirt.Frontend;

namespace JitVirt.Svm;

/// <summary>
/// EXITINFO1 of an IOIO intercept (AMD APM vol.2 §15.10.2, Figure 15-2): bit 0 TYPE (1 = IN),
/// bit 2 STR (INS/OUTS), bit 3 REP, bits 6:4 operand size one-hot (8/16/32-bit), bits 9:7 address
/// size one-hot (16/32/64-bit), bits 12:10 effective segment (of OUTS; ES for INS), bits 31:16 port.
/// EXITINFO2 is the RIP of the next instruction.
/// </summary>
public static class IoExitInfo
{
    public const ulong TypeIn = 1ul << 0, String = 1ul << 2, Rep = 1ul << 3;
    public const int SizeShift = 4, AddressSizeShift = 7, SegmentShift = 10, PortShift = 16;

    public static ulong Encode(ushort port, int size, bool isIn, bool isString, bool rep, int addressBits, int segment)
    {
        ulong info = (ulong)port << PortShift;
        if (isIn) info |= TypeIn;
        if (isString) info |= String;
        if (rep) info |= Rep;
        info |= (ulong)size << SizeShift;                          // 1 → bit 4, 2 → bit 5, 4 → bit 6
        info |= (ulong)(addressBits / 16) << AddressSizeShift;     // 16 → bit 7, 32 → bit 8, 64 → bit 9
        info |= (ulong)segment << SegmentShift;
        return info;
    }

    /// <summary>EXITINFO1 for the I/O instruction <paramref name="i"/> (port and size already resolved).</summary>
    public static ulong For(in Instruction i, ushort port, int size, CodeMode mode)
    {
        var m = i.Mnemonic;
        bool isIn = m is Mnemonic.In or Mnemonic.Insb or Mnemonic.Insw or Mnemonic.Insd;
        bool isString = m is not (Mnemonic.In or Mnemonic.Out);
        bool rep = isString && (i.HasRepPrefix || i.HasRepnePrefix);
        int addressBits = isString ? StringAddressBits(i) : DefaultAddressBits(mode);
        int segment = isString && !isIn ? i.MemorySegment - Register.ES : SegmentIndex.Es;
        return Encode(port, size, isIn, isString, rep, addressBits, segment);
    }

    /// <summary>The address size of INS/OUTS, from the rDI/rSI operand the decoder chose (0x67 included).</summary>
    static int StringAddressBits(in Instruction i)
    {
        var kind = i.Mnemonic is Mnemonic.Insb or Mnemonic.Insw or Mnemonic.Insd ? i.Op0Kind : i.Op1Kind;
        return kind switch
        {
            OpKind.MemoryESDI or OpKind.MemorySegSI => 16,
            OpKind.MemoryESRDI or OpKind.MemorySegRSI => 64,
            _ => 32,
        };
    }

    /// <summary>IN/OUT have no memory operand: the mode's default address size.</summary>
    static int DefaultAddressBits(CodeMode mode) => mode switch
    {
        CodeMode.Bits16 => 16,
        CodeMode.Bits64 => 64,
        _ => 32,
    };
}
