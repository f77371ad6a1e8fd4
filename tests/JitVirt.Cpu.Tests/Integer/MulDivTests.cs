using Xunit;
using static Iced.Intel.AssemblerRegisters;
using static JitVirt.Cpu.State.Rflags;
using G = JitVirt.Cpu.State.Gpr;

namespace JitVirt.Cpu.Tests.Integer;

/// <summary>MUL IMUL DIV IDIV (SDM vol.2): CF/OF of products, #DE on zero divisors and quotient overflow.</summary>
public class MulDivTests
{
    const ulong CfOf = CF | OF;

    [Fact]
    public void Mul8WidensIntoAx()
    {
        using var g = new IntegerGuest(16);
        g[G.Rax] = 0x80; g[G.Rbx] = 2;
        Assert.True(g.Exec(a => a.mul(bl)));
        Assert.Equal(0x0100ul, g[G.Rax]);
        g.AssertFlags(CfOf, CfOf);

        g[G.Rax] = 0xFF10; g[G.Rbx] = 0x0F;
        Assert.True(g.Exec(a => a.mul(bl)));
        Assert.Equal(0x00F0ul, g[G.Rax]);
        g.AssertFlags(0, CfOf);
    }

    [Fact]
    public void Mul64HighHalfInRdx()
    {
        using var g = new IntegerGuest(64);
        g[G.Rax] = ulong.MaxValue; g[G.Rbx] = 2;
        Assert.True(g.Exec(a => a.mul(rbx)));
        Assert.Equal(1ul, g[G.Rdx]);
        Assert.Equal(0xFFFF_FFFF_FFFF_FFFEul, g[G.Rax]);
        g.AssertFlags(CfOf, CfOf);
    }

    [Fact]
    public void Mul32In64BitModeZeroExtendsEdxEax()
    {
        using var g = new IntegerGuest(64);
        g[G.Rax] = 0xDEAD_BEEF_8000_0000; g[G.Rdx] = 0xDEAD_BEEF_0000_0000; g[G.Rbx] = 2;
        Assert.True(g.Exec(a => a.mul(ebx)));
        Assert.Equal(0ul, g[G.Rax]);
        Assert.Equal(1ul, g[G.Rdx]);
    }

    [Fact]
    public void IMulOneOperandFlagsSignExtensionMismatch()
    {
        using var g = new IntegerGuest(16);
        g[G.Rax] = 0x80; g[G.Rbx] = 0xFF; // -128 · -1 = 128, which AL cannot hold
        Assert.True(g.Exec(a => a.imul(bl)));
        Assert.Equal(0x0080ul, g[G.Rax]);
        g.AssertFlags(CfOf, CfOf);

        g[G.Rax] = 0xFFFF; g[G.Rbx] = 0xFFFF; // -1 · -1 = 1
        Assert.True(g.Exec(a => a.imul(bx)));
        Assert.Equal(1ul, g[G.Rax]);
        Assert.Equal(0ul, g[G.Rdx]);
        g.AssertFlags(0, CfOf);

        g[G.Rax] = 0xFFFF; g[G.Rbx] = 2; // -1 · 2 = -2: DX = FFFF is the sign extension, no overflow
        Assert.True(g.Exec(a => a.imul(bx)));
        Assert.Equal(0xFFFEul, g[G.Rax]);
        Assert.Equal(0xFFFFul, g[G.Rdx]);
        g.AssertFlags(0, CfOf);
    }

    [Fact]
    public void IMulTwoAndThreeOperandTruncate()
    {
        using var g = new IntegerGuest(64);
        g[G.Rax] = 0x4000_0000; g[G.Rbx] = 2;
        Assert.True(g.Exec(a => a.imul(eax, ebx)));
        Assert.Equal(0x8000_0000ul, g[G.Rax]);
        g.AssertFlags(CfOf, CfOf);

        g[G.Rbx] = 100;
        Assert.True(g.Exec(a => a.imul(ax, bx, -3)));
        Assert.Equal(0xFED4ul, g[G.Rax] & 0xFFFF); // -300
        g.AssertFlags(0, CfOf);

        g[G.Rbx] = 0x4000_0000_0000_0000;
        Assert.True(g.Exec(a => a.imul(rcx, rbx, 2)));
        Assert.Equal(0x8000_0000_0000_0000ul, g[G.Rcx]);
        g.AssertFlags(CfOf, CfOf);

        g[G.Rbx] = 0xFFFF_FFFF_FFFF_FFFF; // -1 · 0x12345678 fits
        Assert.True(g.Exec(a => a.imul(rcx, rbx, 0x12345678)));
        Assert.Equal(unchecked((ulong)-0x12345678L), g[G.Rcx]);
        g.AssertFlags(0, CfOf);
    }

    [Fact]
    public void Div8QuotientAndRemainder()
    {
        using var g = new IntegerGuest(16);
        g[G.Rax] = 0x0105; g[G.Rbx] = 2; // 261 / 2 = 130 r 1
        Assert.True(g.Exec(a => a.div(bl)));
        Assert.Equal(0x0182ul, g[G.Rax]);
    }

    [Fact]
    public void DivQuotientOverflowAndZeroRaiseDivideError()
    {
        using var g = new IntegerGuest(16);
        g[G.Rax] = 0x0200; g[G.Rbx] = 2; // 512 / 2 = 256 does not fit AL
        g.ExecFaults(ExceptionVector.DivideError, a => a.div(bl));
        Assert.Equal(0x0200ul, g[G.Rax]);

        g[G.Rax] = 7; g[G.Rdx] = 0; g[G.Rbx] = 0;
        g.ExecFaults(ExceptionVector.DivideError, a => a.div(ebx));
        Assert.Equal(7ul, g[G.Rax]);
    }

    [Fact]
    public void Div64UsesTheFull128BitDividend()
    {
        using var g = new IntegerGuest(64);
        g[G.Rdx] = 1; g[G.Rax] = 0; g[G.Rbx] = 2; // 2^64 / 2
        Assert.True(g.Exec(a => a.div(rbx)));
        Assert.Equal(0x8000_0000_0000_0000ul, g[G.Rax]);
        Assert.Equal(0ul, g[G.Rdx]);

        g[G.Rdx] = 2; g[G.Rax] = 0; // 2^65 / 2 = 2^64 overflows
        g.ExecFaults(ExceptionVector.DivideError, a => a.div(rbx));
        Assert.Equal(2ul, g[G.Rdx]);
    }

    [Fact]
    public void IDivTruncatesTowardZero()
    {
        using var g = new IntegerGuest(16);
        g[G.Rax] = 0xFFF9; g[G.Rbx] = 2; // -7 / 2 = -3 r -1
        Assert.True(g.Exec(a => a.idiv(bl)));
        Assert.Equal(0xFFFDul, g[G.Rax]);

        g[G.Rax] = 0xFF00; g[G.Rbx] = 2; // -256 / 2 = -128: the most negative quotient is allowed
        Assert.True(g.Exec(a => a.idiv(bl)));
        Assert.Equal(0x0080ul, g[G.Rax]);

        g[G.Rax] = 0x0100; g[G.Rbx] = 2; // 256 / 2 = 128 does not fit
        g.ExecFaults(ExceptionVector.DivideError, a => a.idiv(bl));
    }

    [Fact]
    public void IDivMostNegativeByMinusOneRaisesDivideError()
    {
        using var g = new IntegerGuest(64);
        g[G.Rdx] = 0xFFFF; g[G.Rax] = 0x8000; g[G.Rbx] = 0xFFFF; // DX:AX = -32768
        g.ExecFaults(ExceptionVector.DivideError, a => a.idiv(bx));
        g[G.Rbx] = 1;
        Assert.True(g.Exec(a => a.idiv(bx)));
        Assert.Equal(0x8000ul, g[G.Rax]);
        Assert.Equal(0ul, g[G.Rdx]);

        g[G.Rdx] = 0xFFFF_FFFF; g[G.Rax] = 0x8000_0000; g[G.Rbx] = 0xFFFF_FFFF; // INT32_MIN / -1
        g.ExecFaults(ExceptionVector.DivideError, a => a.idiv(ebx));
        Assert.Equal(0x8000_0000ul, g[G.Rax]);

        g[G.Rdx] = ulong.MaxValue; g[G.Rax] = 0x8000_0000_0000_0000; g[G.Rbx] = ulong.MaxValue; // INT64_MIN / -1
        g.ExecFaults(ExceptionVector.DivideError, a => a.idiv(rbx));
        g[G.Rbx] = 0;
        g.ExecFaults(ExceptionVector.DivideError, a => a.idiv(rbx));

        g[G.Rdx] = ulong.MaxValue; g[G.Rax] = unchecked((ulong)-100L); g[G.Rbx] = 7; // -100 / 7 = -14 r -2
        Assert.True(g.Exec(a => a.idiv(rbx)));
        Assert.Equal(unchecked((ulong)-14L), g[G.Rax]);
        Assert.Equal(unchecked((ulong)-2L), g[G.Rdx]);
    }
}
