using Xunit;
using static Iced.Intel.AssemblerRegisters;
using static JitVirt.Cpu.State.Rflags;
using G = JitVirt.Cpu.State.Gpr;

namespace JitVirt.Cpu.Tests.Integer;

/// <summary>DAA DAS AAA AAS AAM AAD, with the examples of SDM vol.2 DAA/DAS.</summary>
public class BcdTests
{
    [Fact]
    public void DaaSdmExample()
    {
        using var g = new IntegerGuest(16);
        g[G.Rax] = 0x79; g[G.Rbx] = 0x35;
        Assert.True(g.Exec(a => a.add(al, bl)));
        Assert.Equal(0xAEul, g[G.Rax]);
        g.AssertFlags(OF | SF); // SDM: OSZAPC = 110000
        Assert.True(g.Exec(a => a.daa()));
        Assert.Equal(0x14ul, g[G.Rax]);
        g.AssertFlags(AF | PF | CF, ~OF); // SDM: X00111
    }

    [Fact]
    public void DasSdmExample()
    {
        using var g = new IntegerGuest(32);
        g[G.Rax] = 0x35; g[G.Rbx] = 0x47;
        Assert.True(g.Exec(a => a.sub(al, bl)));
        Assert.Equal(0xEEul, g[G.Rax]);
        g.AssertFlags(SF | AF | PF | CF); // SDM: 010111
        Assert.True(g.Exec(a => a.das()));
        Assert.Equal(0x88ul, g[G.Rax]);
        g.AssertFlags(SF | AF | PF | CF, ~OF); // SDM: X10111
    }

    [Fact]
    public void DaaWithoutAdjustment()
    {
        using var g = new IntegerGuest(16);
        g[G.Rax] = 0x12; g[G.Rbx] = 0x34;
        Assert.True(g.Exec(a => a.add(al, bl)));
        Assert.True(g.Exec(a => a.daa()));
        Assert.Equal(0x46ul, g[G.Rax]);
        g.AssertFlags(0, ~OF); // 0x46 has three bits: PF=0
    }

    [Fact]
    public void AaaAasUnpackedDigits()
    {
        using var g = new IntegerGuest(16);
        g[G.Rax] = 0x39; g[G.Rbx] = 0x38; // '9' + '8'
        Assert.True(g.Exec(a => a.add(al, bl)));
        Assert.True(g.Exec(a => a.aaa()));
        Assert.Equal(0x0107ul, g[G.Rax]); // 17
        g.AssertFlags(AF | CF, AF | CF);

        g[G.Rax] = 0x33; g[G.Rbx] = 0x35; // '3' - '5'
        Assert.True(g.Exec(a => a.sub(al, bl)));
        Assert.True(g.Exec(a => a.aas()));
        Assert.Equal(0xFF08ul, g[G.Rax]); // borrow into AH, digit 8
        g.AssertFlags(AF | CF, AF | CF);

        g[G.Rax] = 0x0504; g.SetFlags(0);
        Assert.True(g.Exec(a => a.aaa()));
        Assert.Equal(0x0504ul, g[G.Rax]);
        g.AssertFlags(0, AF | CF);
    }

    [Fact]
    public void AamAad()
    {
        using var g = new IntegerGuest(16);
        g[G.Rax] = 63;
        Assert.True(g.Exec(0xD4, 0x0A)); // aam
        Assert.Equal(0x0603ul, g[G.Rax]);
        g.AssertFlags(PF, SF | ZF | PF);
        Assert.True(g.Exec(0xD5, 0x0A)); // aad
        Assert.Equal(0x003Ful, g[G.Rax]);
        g.AssertFlags(PF, SF | ZF | PF);

        g[G.Rax] = 0x0A0B;
        Assert.True(g.Exec(0xD5, 0x10)); // aad 16
        Assert.Equal(0x00ABul, g[G.Rax]);
        g.AssertFlags(SF, SF | ZF | PF); // 0xAB has five bits

        g[G.Rax] = 0x1234;
        g.ExecFaults(ExceptionVector.DivideError, 0xD4, 0x00); // aam 0
        Assert.Equal(0x1234ul, g[G.Rax]);
    }

    [Fact]
    public void BcdAdjustsAreInvalidIn64BitMode()
    {
        using var g = new IntegerGuest(64);
        foreach (var bytes in new[] { new byte[] { 0x27 }, new byte[] { 0x2F }, new byte[] { 0x37 }, new byte[] { 0x3F }, new byte[] { 0xD4, 0x0A }, new byte[] { 0xD5, 0x0A } })
        {
            Assert.False(g.ExecDecodedAs(32, bytes)); // decoded as 32-bit code, run in 64-bit mode
            Assert.Equal(ExceptionVector.InvalidOpcode, g.Cpu.PendingException.Vector);
        }
    }
}
