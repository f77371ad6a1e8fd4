using Xunit;
using static Iced.Intel.AssemblerRegisters;
using static JitVirt.Cpu.State.Rflags;
using G = JitVirt.Cpu.State.Gpr;

namespace JitVirt.Cpu.Tests.Integer;

/// <summary>Shifts and rotates (SDM vol.2 SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR, SHLD, SHRD); only defined flags are checked.</summary>
public class ShiftRotateTests
{
    const ulong Szp = SF | ZF | PF;

    [Fact]
    public void ShlByOneSetsCarryAndOverflow()
    {
        using var g = new IntegerGuest(16);
        g[G.Rax] = 0x81;
        Assert.True(g.Exec(a => a.shl(al, 1)));
        Assert.Equal(0x02ul, g[G.Rax]);
        g.AssertFlags(CF | OF, CF | OF | Szp); // OF = MSB(result) xor CF = 0 xor 1
    }

    [Fact]
    public void ShiftByZeroChangesNoFlags()
    {
        using var g = new IntegerGuest(32);
        g.SetFlags(OF | SF | ZF | AF | PF | CF);
        g[G.Rax] = 0x1234; g[G.Rcx] = 0x20; // 32 masks to 0
        Assert.True(g.Exec(a => a.shl(eax, cl)));
        Assert.True(g.Exec(a => a.sar(ax, cl)));
        Assert.True(g.Exec(a => a.rol(al, cl)));
        Assert.True(g.Exec(a => a.rcr(eax, cl)));
        Assert.True(g.Exec(a => a.shld(eax, ebx, cl)));
        Assert.Equal(0x1234ul, g[G.Rax]);
        g.AssertFlags(OF | SF | ZF | AF | PF | CF);
    }

    [Fact]
    public void ShiftCountIsMaskedTo5BitsOr6For64()
    {
        using var g = new IntegerGuest(64);
        g[G.Rax] = 1; g[G.Rcx] = 33;
        Assert.True(g.Exec(a => a.shl(eax, cl))); // 33 & 31 = 1
        Assert.Equal(2ul, g[G.Rax]);
        g[G.Rax] = 1;
        Assert.True(g.Exec(a => a.shl(rax, cl))); // 33 & 63 = 33
        Assert.Equal(1ul << 33, g[G.Rax]);
        g[G.Rcx] = 65;
        Assert.True(g.Exec(a => a.shr(rax, cl))); // 65 & 63 = 1
        Assert.Equal(1ul << 32, g[G.Rax]);
    }

    [Fact]
    public void ShiftsAtAndAboveTheWidth()
    {
        using var g = new IntegerGuest(16);
        g[G.Rax] = 0x0001; g[G.Rcx] = 16;
        Assert.True(g.Exec(a => a.shl(ax, cl)));
        Assert.Equal(0ul, g[G.Rax]);
        g.AssertFlags(ZF | PF, Szp); // CF is undefined when count ≥ width

        g[G.Rax] = 0xFF; g[G.Rcx] = 9;
        Assert.True(g.Exec(a => a.shr(al, cl)));
        Assert.Equal(0ul, g[G.Rax]);
        g.AssertFlags(ZF | PF, Szp);

        g[G.Rax] = 0x80; g[G.Rcx] = 10;
        Assert.True(g.Exec(a => a.sar(al, cl))); // everything becomes the sign
        Assert.Equal(0xFFul, g[G.Rax]);
        g.AssertFlags(SF | PF | CF, Szp | CF);

        g[G.Rax] = 0x8000; g[G.Rcx] = 15;
        Assert.True(g.Exec(a => a.shl(ax, cl))); // count width-1: last bit out is bit 1
        Assert.Equal(0ul, g[G.Rax]);
        g.AssertFlags(ZF | PF, Szp | CF);
    }

    [Fact]
    public void ShrAndSarByOneAndMore()
    {
        using var g = new IntegerGuest(32);
        g[G.Rax] = 0x8428;
        Assert.True(g.Exec(a => a.shr(ax, 4)));
        Assert.Equal(0x0842ul, g[G.Rax]);
        g.AssertFlags(CF | PF, CF | Szp); // CF = bit 3 of 0x8428; 0x42 has two bits

        g[G.Rax] = 0x80;
        Assert.True(g.Exec(a => a.shr(al, 1)));
        Assert.Equal(0x40ul, g[G.Rax]);
        g.AssertFlags(OF, CF | OF | Szp); // OF = MSB of the original operand

        g[G.Rax] = 0x81;
        Assert.True(g.Exec(a => a.sar(al, 1)));
        Assert.Equal(0xC0ul, g[G.Rax]);
        g.AssertFlags(CF | SF | PF, CF | OF | Szp); // OF = 0 for SAR by 1
    }

    [Fact]
    public void Sar64ByWidthMinusOne()
    {
        using var g = new IntegerGuest(64);
        g[G.Rax] = 0x8000_0000_0000_0000;
        Assert.True(g.Exec(a => a.sar(rax, 63)));
        Assert.Equal(ulong.MaxValue, g[G.Rax]);
        g.AssertFlags(SF | PF, CF | Szp); // CF = bit 62 = 0
    }

    [Fact]
    public void RolRorAffectOnlyCarryAndOverflow()
    {
        using var g = new IntegerGuest(32);
        g.SetFlags(SF | ZF | AF | PF);
        g[G.Rax] = 0x81;
        Assert.True(g.Exec(a => a.rol(al, 1)));
        Assert.Equal(0x03ul, g[G.Rax]);
        g.AssertFlags(CF | OF | SF | ZF | AF | PF);

        g[G.Rax] = 0x1234;
        Assert.True(g.Exec(a => a.rol(ax, 4)));
        Assert.Equal(0x2341ul, g[G.Rax]);
        g.AssertFlags(CF | SF | ZF | AF | PF, ~OF); // OF undefined for counts > 1

        g[G.Rax] = 0x81; g[G.Rcx] = 8; // a multiple of the width: value unchanged, CF = LSB
        g.SetFlags(0);
        Assert.True(g.Exec(a => a.rol(al, cl)));
        Assert.Equal(0x81ul, g[G.Rax]);
        g.AssertFlags(CF, CF);

        g[G.Rax] = 1;
        Assert.True(g.Exec(a => a.ror(eax, 1)));
        Assert.Equal(0x8000_0000ul, g[G.Rax]);
        g.AssertFlags(CF | OF, CF | OF);
    }

    [Fact]
    public void RclRcrRotateThroughCarry()
    {
        using var g = new IntegerGuest(16);
        g[G.Rax] = 0x55; g[G.Rcx] = 9; // 8-bit RCL counts modulo 9: nothing happens
        g.SetFlags(CF);
        Assert.True(g.Exec(a => a.rcl(al, cl)));
        Assert.Equal(0x55ul, g[G.Rax]);
        g.AssertFlags(CF, CF);

        g[G.Rax] = 0x80;
        g.SetFlags(0);
        Assert.True(g.Exec(a => a.rcl(al, 1)));
        Assert.Equal(0ul, g[G.Rax]);
        g.AssertFlags(CF | OF, CF | OF);

        g[G.Rax] = 0x80; // CF:AL = 1 1000_0000 rotated left by 2 = 0 0000_0011
        g.SetFlags(CF);
        Assert.True(g.Exec(a => a.rcl(al, 2)));
        Assert.Equal(0x03ul, g[G.Rax]);
        g.AssertFlags(0, CF);

        g[G.Rax] = 0x0001;
        g.SetFlags(CF);
        Assert.True(g.Exec(a => a.rcr(ax, 1)));
        Assert.Equal(0x8000ul, g[G.Rax]);
        g.AssertFlags(CF | OF, CF | OF); // OF = MSB(original) xor CF

        g[G.Rax] = 0x1234; g[G.Rcx] = 17; // 16-bit counts modulo 17
        g.SetFlags(0);
        Assert.True(g.Exec(a => a.rcr(ax, cl)));
        Assert.Equal(0x1234ul, g[G.Rax]);
    }

    [Fact]
    public void Rcl64ByLargeCount()
    {
        using var g = new IntegerGuest(64);
        g[G.Rax] = 0x8000_0000_0000_0001; g[G.Rcx] = 63;
        g.SetFlags(0);
        // 65-bit CF:RAX = 0 | 8000..0001; left by 63 = right by 2 in 65 bits:
        // bit0→bit63, bit63→bit61, CF(0)→bit62, bit 1(0)→CF.
        Assert.True(g.Exec(a => a.rcl(rax, cl)));
        Assert.Equal(0xA000_0000_0000_0000ul, g[G.Rax]);
        g.AssertFlags(0, CF);
    }

    [Fact]
    public void ShldShrd()
    {
        using var g = new IntegerGuest(32);
        g[G.Rax] = 0x1234_5678; g[G.Rbx] = 0x9ABC_DEF0;
        Assert.True(g.Exec(a => a.shld(eax, ebx, 4)));
        Assert.Equal(0x2345_6789ul, g[G.Rax]);
        g.AssertFlags(CF, CF | Szp); // CF = bit 28 of 0x12345678; 0x89 has three bits

        g[G.Rax] = 0x1234; g[G.Rbx] = 0xABCD; g[G.Rcx] = 4;
        Assert.True(g.Exec(a => a.shrd(ax, bx, cl)));
        Assert.Equal(0xD123ul, g[G.Rax]);
        g.AssertFlags(SF, CF | Szp);

        g[G.Rax] = 0x4000_0000; g[G.Rbx] = 0;
        Assert.True(g.Exec(a => a.shld(eax, ebx, 1)));
        Assert.Equal(0x8000_0000ul, g[G.Rax]);
        g.AssertFlags(OF | SF | PF, CF | OF | Szp); // sign changed

        g.WriteMem<ulong>(IntegerGuest.DataBase, 0x0000_0000_0000_00F1);
        g[G.Rbx] = 0;
        Assert.True(g.Exec(a => a.shrd(__dword_ptr[IntegerGuest.DataBase], ebx, 4)));
        Assert.Equal(0x0Ful, g.ReadMem<ulong>(IntegerGuest.DataBase));
        g.AssertFlags(PF, CF | Szp); // CF = bit 3 of 0xF1 = 0; 0x0F has four bits
    }

    [Fact]
    public void Shld64FromSource()
    {
        using var g = new IntegerGuest(64);
        g[G.Rax] = 0x0123_4567_89AB_CDEF; g[G.Rbx] = 0xFEDC_BA98_7654_3210; g[G.Rcx] = 32;
        Assert.True(g.Exec(a => a.shld(rax, rbx, cl)));
        Assert.Equal(0x89AB_CDEF_FEDC_BA98ul, g[G.Rax]);
        g.AssertFlags(CF | SF, CF | Szp); // CF = bit 32 of RAX (0x...4567 → bit 32 = 1); 0x98 has three bits
    }
}
