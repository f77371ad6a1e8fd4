using Iced.Intel;

namespace JitVirt.NativeOracle;

/// <summary>
/// Which of the six status flags (OF SF ZF AF PF CF) hold an architecturally defined value after an
/// instruction, written from the "Flags Affected" paragraphs of the Intel SDM vol. 2A–2C instruction
/// pages (cross-checked with AMD APM vol. 3, Appendix F "Instruction Effects on RFLAGS"). A flag the
/// manual calls "unaffected" is defined: it must still hold its previous value. Only "undefined" flags
/// are left out. Nothing here is derived from what a CPU did, nor from Iced's per-opcode
/// <c>RflagsUndefined</c>, which ignores the shift/rotate count.
/// </summary>
public static class DefinedFlags
{
    private const ulong All = X86Flags.Arithmetic;
    private const ulong OF = X86Flags.OF, SF = X86Flags.SF, ZF = X86Flags.ZF;
    private const ulong AF = X86Flags.AF, PF = X86Flags.PF, CF = X86Flags.CF;

    /// <summary>
    /// The count an instruction actually uses: the raw count masked to 5 bits, or 6 bits for a 64-bit
    /// operand ("COUNT &amp; COUNTMASK" in SDM vol. 2B SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR, SHLD, SHRD).
    /// This is the count the flag rules below are stated in (before RCL/RCR's further MOD 9 / MOD 17).
    /// </summary>
    public static int MaskCount(ulong rawCount, int operandSizeBits) =>
        (int)(rawCount & (operandSizeBits == 64 ? 0x3FUL : 0x1FUL));

    /// <summary>True for the instructions whose flag effects depend on the masked count.</summary>
    public static bool IsCountDependent(Mnemonic mnemonic) => mnemonic is
        Mnemonic.Shl or Mnemonic.Sal or Mnemonic.Shr or Mnemonic.Sar or
        Mnemonic.Rol or Mnemonic.Ror or Mnemonic.Rcl or Mnemonic.Rcr or
        Mnemonic.Shld or Mnemonic.Shrd;

    /// <summary>
    /// The mask of status flags defined after <paramref name="mnemonic"/> with operand size
    /// <paramref name="operandSizeBits"/> (8/16/32/64) and, for shifts and rotates, the
    /// <see cref="MaskCount">masked count</see> (ignored otherwise). Mnemonics the table does not know
    /// return all six flags, i.e. everything is compared.
    /// </summary>
    public static ulong Defined(Mnemonic mnemonic, int operandSizeBits, int maskedCount)
    {
        switch (mnemonic)
        {
            // SDM vol. 2B SAL/SAR/SHL/SHR, Flags Affected: "If the count is 0, the flags are not affected.
            // ... CF ... is undefined for SHL and SHR instructions where the count is greater than or
            // equal to the size (in bits) of the destination operand. The OF flag is affected only for
            // 1-bit shifts; otherwise, it is undefined. ... For a non-zero count, the AF flag is undefined."
            case Mnemonic.Shl or Mnemonic.Sal or Mnemonic.Shr:
                if (maskedCount == 0) return All;
                return (maskedCount == 1 ? OF : 0) | SF | ZF | PF | (maskedCount >= operandSizeBits ? 0 : CF);
            case Mnemonic.Sar:
                if (maskedCount == 0) return All;
                return (maskedCount == 1 ? OF : 0) | SF | ZF | PF | CF;

            // SDM vol. 2B RCL/RCR/ROL/ROR, Flags Affected: "If the masked count is 0, the flags are not
            // affected. If the masked count is 1, then the OF flag is affected, otherwise (masked count is
            // greater than 1) the OF flag is undefined. The CF flag is affected when the masked count is
            // non-zero. The SF, ZF, AF, and PF flags are always unaffected."
            case Mnemonic.Rol or Mnemonic.Ror or Mnemonic.Rcl or Mnemonic.Rcr:
                return maskedCount > 1 ? All & ~OF : All;

            // SDM vol. 2B SHLD and SHRD, Flags Affected: "If the count is 1 or greater, the CF flag is filled
            // with the last bit shifted out ... SF, ZF, and PF ... set according to the value of the result.
            // For a 1-bit shift, the OF flag is set if a sign change occurred; otherwise, it is cleared. For
            // shifts greater than 1 bit, the OF flag is undefined. If a shift occurs, the AF flag is
            // undefined. If the count operand is 0, the flags are not affected. If the count is greater
            // than the operand size, the flags are undefined."
            case Mnemonic.Shld or Mnemonic.Shrd:
                if (maskedCount == 0) return All;
                if (maskedCount > operandSizeBits) return 0;
                return (maskedCount == 1 ? OF : 0) | SF | ZF | PF | CF;

            // SDM vol. 2A AND / OR, vol. 2C XOR, vol. 2B TEST: "The OF and CF flags are cleared; the SF, ZF,
            // and PF flags are set according to the result. The state of the AF flag is undefined."
            case Mnemonic.And or Mnemonic.Or or Mnemonic.Xor or Mnemonic.Test:
                return All & ~AF;

            // SDM vol. 2B MUL and vol. 2A IMUL: "The OF and CF flags are set ... The SF, ZF, AF, and PF flags
            // are undefined."
            case Mnemonic.Mul or Mnemonic.Imul:
                return OF | CF;

            // SDM vol. 2A DIV and IDIV: "The CF, OF, SF, ZF, AF, and PF flags are undefined."
            case Mnemonic.Div or Mnemonic.Idiv:
                return 0;

            // SDM vol. 2A BSF and BSR: "The ZF flag is set to 1 if the source operand is 0; otherwise, the
            // ZF flag is cleared. The CF, OF, SF, AF, and PF flags are undefined."
            case Mnemonic.Bsf or Mnemonic.Bsr:
                return ZF;

            // SDM vol. 2A BT, BTC, BTR, BTS: "The CF flag contains the value of the selected bit. The ZF flag
            // is unaffected. The OF, SF, AF, and PF flags are undefined."
            case Mnemonic.Bt or Mnemonic.Bts or Mnemonic.Btr or Mnemonic.Btc:
                return CF | ZF;

            // SDM vol. 2A DAA and DAS: "The CF and AF flags are set if the adjustment results in a decimal
            // carry (borrow) ... The SF, ZF, and PF flags are set according to the result. The OF flag is
            // undefined."
            case Mnemonic.Daa or Mnemonic.Das:
                return All & ~OF;

            // SDM vol. 2A AAA and AAS: "The AF and CF flags are set to 1 if the adjustment results in a
            // decimal carry (borrow); otherwise they are set to 0. The OF, SF, ZF, and PF flags are undefined."
            case Mnemonic.Aaa or Mnemonic.Aas:
                return AF | CF;

            // SDM vol. 2A AAM and AAD: "The SF, ZF, and PF flags are set according to the resulting binary
            // value in the AL register. The OF, AF, and CF flags are undefined."
            case Mnemonic.Aam or Mnemonic.Aad:
                return SF | ZF | PF;

            // Everything below defines all six flags — either setting them from the result or leaving
            // them unaffected:
            //  ADD ADC SUB SBB CMP NEG (vol. 2A/2B: "OF, SF, ZF, AF, CF, and PF flags are set according to
            //  the result"); INC DEC ("CF flag is not affected"); XADD, CMPXCHG (as ADD / CMP); CMPS SCAS
            //  (as CMP); CMPXCHG8B/16B ("ZF ... CF, PF, AF, SF, and OF flags are unaffected"); CLC STC CMC
            //  (only CF); SAHF (loads SF ZF AF PF CF; OF unaffected); and the instructions whose pages say
            //  "None": NOT MOV MOVZX MOVSX MOVSXD LEA XCHG BSWAP CBW CWDE CDQE CWD CDQ CQO SETcc CMOVcc
            //  MOVS LODS STOS PUSH POP PUSHA POPA LAHF NOP.
            default:
                return All;
        }
    }

    /// <summary>
    /// True when the manual leaves the destination itself undefined, so it must not be compared:
    /// SHLD/SHRD with a masked count greater than the operand size (SDM vol. 2B SHLD/SHRD: "If the count
    /// is greater than the operand size, the result is undefined"); BSF/BSR with a zero source (SDM
    /// vol. 2A BSF/BSR: "If the content of the source operand is 0, the content of the destination
    /// operand is undefined" — AMD leaves it unchanged, Intel does not promise that); BSWAP of a 16-bit
    /// register (SDM vol. 2A BSWAP: "the result is undefined").
    /// </summary>
    /// <param name="mnemonic">The instruction.</param>
    /// <param name="operandSizeBits">Operand size in bits.</param>
    /// <param name="maskedCount">Masked count for SHLD/SHRD, otherwise ignored.</param>
    /// <param name="sourceValue">The source operand value for BSF/BSR, otherwise ignored.</param>
    public static bool UndefinedResult(Mnemonic mnemonic, int operandSizeBits, int maskedCount, ulong sourceValue) =>
        mnemonic switch
        {
            Mnemonic.Shld or Mnemonic.Shrd => maskedCount > operandSizeBits,
            Mnemonic.Bsf or Mnemonic.Bsr => TruncateTo(sourceValue, operandSizeBits) == 0,
            Mnemonic.Bswap => operandSizeBits == 16,
            _ => false,
        };

    private static ulong TruncateTo(ulong value, int bits) => bits >= 64 ? value : value & ((1UL << bits) - 1);
}
