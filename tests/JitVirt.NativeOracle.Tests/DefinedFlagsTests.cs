using Iced.Intel;
using JitVirt.NativeOracle;

namespace JitVirt.NativeOracle.Tests;

/// <summary>The defined-flags table against the SDM's "Flags Affected" paragraphs.</summary>
public sealed class DefinedFlagsTests
{
    private const ulong OF = X86Flags.OF, SF = X86Flags.SF, ZF = X86Flags.ZF, AF = X86Flags.AF, PF = X86Flags.PF, CF = X86Flags.CF;
    private const ulong All = X86Flags.Arithmetic;

    [Fact]
    public void Shl_count_1_defines_OF_but_not_AF()
    {
        Assert.Equal(OF | SF | ZF | PF | CF, DefinedFlags.Defined(Mnemonic.Shl, 32, 1));
    }

    [Fact]
    public void Shl_count_3_leaves_OF_and_AF_undefined()
    {
        Assert.Equal(SF | ZF | PF | CF, DefinedFlags.Defined(Mnemonic.Shl, 32, 3));
    }

    [Fact]
    public void Shift_count_0_leaves_all_flags_as_they_were()
    {
        Assert.Equal(All, DefinedFlags.Defined(Mnemonic.Shr, 8, 0));
        Assert.Equal(All, DefinedFlags.Defined(Mnemonic.Rcr, 16, 0));
        Assert.Equal(All, DefinedFlags.Defined(Mnemonic.Shld, 64, 0));
    }

    [Fact]
    public void Shr_of_a_byte_by_its_width_or_more_has_undefined_CF_but_Sar_does_not()
    {
        Assert.Equal(SF | ZF | PF, DefinedFlags.Defined(Mnemonic.Shr, 8, 8));
        Assert.Equal(SF | ZF | PF | CF, DefinedFlags.Defined(Mnemonic.Sar, 8, 8));
        Assert.Equal(SF | ZF | PF | CF, DefinedFlags.Defined(Mnemonic.Shr, 16, 15));
    }

    [Fact]
    public void Rcr_count_1_defines_everything_and_larger_counts_only_lose_OF()
    {
        Assert.Equal(All, DefinedFlags.Defined(Mnemonic.Rcr, 8, 1));
        Assert.Equal(All & ~OF, DefinedFlags.Defined(Mnemonic.Rcr, 8, 9));
        Assert.Equal(All & ~OF, DefinedFlags.Defined(Mnemonic.Rol, 64, 63));
    }

    [Fact]
    public void Shld_count_above_operand_size_makes_flags_and_result_undefined()
    {
        Assert.Equal(0UL, DefinedFlags.Defined(Mnemonic.Shld, 16, 17));
        Assert.True(DefinedFlags.UndefinedResult(Mnemonic.Shld, 16, 17, 0));
        Assert.False(DefinedFlags.UndefinedResult(Mnemonic.Shrd, 16, 16, 0));
        Assert.Equal(SF | ZF | PF | CF, DefinedFlags.Defined(Mnemonic.Shrd, 16, 16));
        Assert.Equal(OF | SF | ZF | PF | CF, DefinedFlags.Defined(Mnemonic.Shrd, 32, 1));
    }

    [Fact]
    public void Multiply_divide_bitscan_and_bittest_rules()
    {
        Assert.Equal(OF | CF, DefinedFlags.Defined(Mnemonic.Mul, 64, 0));
        Assert.Equal(OF | CF, DefinedFlags.Defined(Mnemonic.Imul, 16, 0));
        Assert.Equal(0UL, DefinedFlags.Defined(Mnemonic.Idiv, 32, 0));
        Assert.Equal(ZF, DefinedFlags.Defined(Mnemonic.Bsr, 32, 0));
        Assert.Equal(CF | ZF, DefinedFlags.Defined(Mnemonic.Btc, 64, 0));
        Assert.True(DefinedFlags.UndefinedResult(Mnemonic.Bsf, 16, 0, 0xFFFF_0000));
        Assert.False(DefinedFlags.UndefinedResult(Mnemonic.Bsf, 32, 0, 0xFFFF_0000));
    }

    [Fact]
    public void Logic_bcd_and_flagless_instructions()
    {
        Assert.Equal(All & ~AF, DefinedFlags.Defined(Mnemonic.Xor, 8, 0));
        Assert.Equal(All & ~AF, DefinedFlags.Defined(Mnemonic.Test, 64, 0));
        Assert.Equal(All & ~OF, DefinedFlags.Defined(Mnemonic.Daa, 8, 0));
        Assert.Equal(AF | CF, DefinedFlags.Defined(Mnemonic.Aaa, 8, 0));
        Assert.Equal(SF | ZF | PF, DefinedFlags.Defined(Mnemonic.Aad, 8, 0));
        Assert.Equal(All, DefinedFlags.Defined(Mnemonic.Adc, 32, 0));
        Assert.Equal(All, DefinedFlags.Defined(Mnemonic.Not, 32, 0));
        Assert.Equal(All, DefinedFlags.Defined(Mnemonic.Cmpxchg16b, 128, 0));
    }

    [Theory]
    [InlineData(65UL, 64, 1)]
    [InlineData(65UL, 32, 1)]
    [InlineData(33UL, 32, 1)]
    [InlineData(33UL, 64, 33)]
    [InlineData(0x1FUL, 8, 31)]
    public void Count_is_masked_to_5_or_6_bits(ulong raw, int size, int masked)
    {
        Assert.Equal(masked, DefinedFlags.MaskCount(raw, size));
    }
}
