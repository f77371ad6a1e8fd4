using JitVirt.SingleStep;

namespace JitVirt.SingleStep.Tests;

public class OpcodeMetadataTests
{
    // README "Undefined flags" examples.
    [Theory]
    [InlineData("27", 0xF7FF)]    // DAA: OF
    [InlineData("2F", 0xF7FF)]    // DAS
    [InlineData("37", 0xF73B)]    // AAA: OF SF ZF PF
    [InlineData("3F", 0xF73B)]    // AAS
    [InlineData("F6.4", 0xFF2B)]  // MUL: SF ZF AF PF
    [InlineData("F7.4", 0xFF2B)]
    [InlineData("F6.5", 0xFF2B)]  // IMUL
    [InlineData("F7.5", 0xFF2B)]
    [InlineData("F6.6", 0xF72A)]  // DIV: OF SF ZF AF PF CF
    [InlineData("F7.6", 0xF72A)]
    [InlineData("F6.7", 0xF72A)]  // IDIV
    [InlineData("F7.7", 0xF72A)]
    [InlineData("D2.4", 0xF7EE)]  // SHL by CL: OF AF CF
    [InlineData("D3.5", 0xF7EE)]  // SHR by CL
    [InlineData("D3.7", 0xF7EE)]  // SAR by CL
    [InlineData("08", 0xFFEF)]    // OR: AF
    [InlineData("21", 0xFFEF)]    // AND
    [InlineData("33", 0xFFEF)]    // XOR
    [InlineData("84", 0xFFEF)]    // TEST
    [InlineData("00", 0xFFFF)]    // ADD: every flag defined
    public void FlagsMaskMatchesTheReadme(string form, int mask)
    {
        Assert.Equal((ushort)mask, TestData.Metadata.Lookup(InstructionForm.Parse(form)).FlagsMask);
    }

    [Fact]
    public void GroupFileWithMixedRegUsesTheRegOfEachTest()
    {
        // C6 holds MOV r/m8,imm8 (reg 0) plus ~5% invalid reg tests that raise #UD (README).
        int undefinedSeen = 0;
        foreach (var test in MooReader.ReadAll(TestData.File("C6")))
        {
            var info = TestData.Metadata.LookupForTest(test);
            var reg = InstructionBytes.ModRm(test.Bytes)!.Value >> 3 & 7;
            Assert.Equal(reg == 0 ? "normal" : "undefined", info.Status);
            if (reg != 0)
            {
                undefinedSeen++;
                Assert.Equal(6, test.Exception!.Value.Vector);
            }
        }
        Assert.True(undefinedSeen > 0);
    }

    [Fact]
    public void StatusesAreRead()
    {
        Assert.Equal("undocumented", TestData.Metadata.Lookup(InstructionForm.Parse("D6")).Status);   // SALC
        Assert.Equal("alias", TestData.Metadata.Lookup(InstructionForm.Parse("F6.1")).Status);        // TEST alias
        Assert.Equal("fpu", TestData.Metadata.Lookup(InstructionForm.Parse("D8")).Status);
        Assert.True(TestData.Metadata.IsGroupOpcode(0x80));
        Assert.False(TestData.Metadata.IsGroupOpcode(0x00));
    }
}
