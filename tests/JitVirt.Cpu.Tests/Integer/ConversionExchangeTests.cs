using Xunit;
using static Iced.Intel.AssemblerRegisters;
using static JitVirt.Cpu.State.Rflags;
using G = JitVirt.Cpu.State.Gpr;

namespace JitVirt.Cpu.Tests.Integer;

/// <summary>CBW..CQO, MOVZX/MOVSX/MOVSXD, XADD XCHG CMPXCHG CMPXCHG8B CMPXCHG16B and the flag instructions (SDM vol.2).</summary>
public class ConversionExchangeTests
{
    [Fact]
    public void AccumulatorSignExtensions()
    {
        using var g = new IntegerGuest(64);
        g[G.Rax] = 0x1111_1111_1111_1180;
        Assert.True(g.Exec(a => a.cbw()));
        Assert.Equal(0x1111_1111_1111_FF80ul, g[G.Rax]);
        g[G.Rax] = 0x1111_1111_1111_8000;
        Assert.True(g.Exec(a => a.cwde()));
        Assert.Equal(0xFFFF_8000ul, g[G.Rax]);
        g[G.Rax] = 0x8000_0000;
        Assert.True(g.Exec(a => a.cdqe()));
        Assert.Equal(0xFFFF_FFFF_8000_0000ul, g[G.Rax]);

        g[G.Rax] = 0x8000; g[G.Rdx] = 0x2222_2222_2222_0000;
        Assert.True(g.Exec(a => a.cwd()));
        Assert.Equal(0x2222_2222_2222_FFFFul, g[G.Rdx]);
        g[G.Rax] = 0x7FFF_FFFF;
        Assert.True(g.Exec(a => a.cdq()));
        Assert.Equal(0ul, g[G.Rdx]);
        g[G.Rax] = ulong.MaxValue;
        Assert.True(g.Exec(a => a.cqo()));
        Assert.Equal(ulong.MaxValue, g[G.Rdx]);
    }

    [Fact]
    public void MovzxMovsxMovsxd()
    {
        using var g = new IntegerGuest(64);
        g[G.Rsi] = IntegerGuest.DataBase;
        g.WriteMem<uint>(IntegerGuest.DataBase, 0x8000_80F0);
        g[G.Rax] = ulong.MaxValue;
        Assert.True(g.Exec(a => a.movzx(eax, __byte_ptr[rsi])));
        Assert.Equal(0xF0ul, g[G.Rax]);
        Assert.True(g.Exec(a => a.movsx(rax, __word_ptr[rsi])));
        Assert.Equal(0xFFFF_FFFF_FFFF_80F0ul, g[G.Rax]);
        Assert.True(g.Exec(a => a.movsxd(rax, __dword_ptr[rsi])));
        Assert.Equal(0xFFFF_FFFF_8000_80F0ul, g[G.Rax]);
        g[G.Rbx] = 0x80; g[G.Rcx] = 0x3333_3333_3333_3333;
        Assert.True(g.Exec(a => a.movsx(cx, bl)));
        Assert.Equal(0x3333_3333_3333_FF80ul, g[G.Rcx]);
        Assert.True(g.Exec(a => a.movzx(rcx, bl)));
        Assert.Equal(0x80ul, g[G.Rcx]);
    }

    [Fact]
    public void XaddExchangesAndAdds()
    {
        using var g = new IntegerGuest(32);
        g.WriteMem<uint>(IntegerGuest.DataBase, 5);
        g[G.Rbx] = 3;
        Assert.True(g.Exec(a => a.@lock.xadd(__dword_ptr[IntegerGuest.DataBase], ebx)));
        Assert.Equal(8u, g.ReadMem<uint>(IntegerGuest.DataBase));
        Assert.Equal(5ul, g[G.Rbx]);
        g.AssertFlags(0);

        g[G.Rax] = 0xFF; g[G.Rcx] = 1;
        Assert.True(g.Exec(a => a.xadd(al, cl)));
        Assert.Equal(0ul, g[G.Rax]);
        Assert.Equal(0xFFul, g[G.Rcx]);
        g.AssertFlags(CF | ZF | AF | PF);

        g[G.Rax] = 1;
        Assert.True(g.Exec(a => a.xadd(eax, eax))); // DEST is written last: the sum
        Assert.Equal(2ul, g[G.Rax]);
    }

    [Fact]
    public void XchgRegistersAndMemory()
    {
        using var g = new IntegerGuest(64);
        g[G.Rax] = 0xAAAA_AAAA_1111_1111; g[G.Rbx] = 0xBBBB_BBBB_2222_2222;
        Assert.True(g.Exec(a => a.xchg(eax, ebx))); // both zero-extend
        Assert.Equal(0x2222_2222ul, g[G.Rax]);
        Assert.Equal(0x1111_1111ul, g[G.Rbx]);

        g[G.Rsi] = IntegerGuest.DataBase;
        g.WriteMem<ushort>(IntegerGuest.DataBase, 0x1234);
        g[G.Rcx] = 0x5678;
        Assert.True(g.Exec(a => a.xchg(__word_ptr[rsi], cx)));
        Assert.Equal((ushort)0x5678, g.ReadMem<ushort>(IntegerGuest.DataBase));
        Assert.Equal(0x1234ul, g[G.Rcx]);
        Assert.True(g.Exec(a => a.@lock.xchg(__word_ptr[rsi], cx)));
        Assert.Equal((ushort)0x1234, g.ReadMem<ushort>(IntegerGuest.DataBase));

        g.ExecFaults(ExceptionVector.InvalidOpcode, 0xF0, 0x87, 0xC3); // lock xchg ebx, eax
    }

    [Fact]
    public void CmpxchgSuccessAndFailure()
    {
        using var g = new IntegerGuest(32);
        g.WriteMem<uint>(IntegerGuest.DataBase, 5);
        g[G.Rax] = 5; g[G.Rcx] = 9;
        Assert.True(g.Exec(a => a.@lock.cmpxchg(__dword_ptr[IntegerGuest.DataBase], ecx)));
        Assert.Equal(9u, g.ReadMem<uint>(IntegerGuest.DataBase));
        Assert.Equal(5ul, g[G.Rax]);
        g.AssertFlags(ZF | PF);

        g[G.Rax] = 4;
        Assert.True(g.Exec(a => a.cmpxchg(__dword_ptr[IntegerGuest.DataBase], ecx)));
        Assert.Equal(9u, g.ReadMem<uint>(IntegerGuest.DataBase));
        Assert.Equal(9ul, g[G.Rax]);
        g.AssertFlags(CF | SF | AF); // 4 - 9 = 0xFFFFFFFB: FB has seven bits, PF=0
    }

    [Fact]
    public void Cmpxchg32RegisterIn64BitModeWritesOnlyTheRegisterItChanges()
    {
        using var g = new IntegerGuest(64);
        g[G.Rax] = 0xAAAA_AAAA_0000_0005; g[G.Rbx] = 0xBBBB_BBBB_0000_0005; g[G.Rcx] = 9;
        Assert.True(g.Exec(a => a.cmpxchg(ebx, ecx)));
        Assert.Equal(9ul, g[G.Rbx]);
        Assert.Equal(0xAAAA_AAAA_0000_0005ul, g[G.Rax]);
        g.AssertFlags(ZF, ZF);

        g[G.Rbx] = 0xBBBB_BBBB_0000_0007;
        Assert.True(g.Exec(a => a.cmpxchg(ebx, ecx)));
        Assert.Equal(7ul, g[G.Rax]);
        g.AssertFlags(0, ZF);
    }

    [Fact]
    public void Cmpxchg8bSuccessAndFailure()
    {
        using var g = new IntegerGuest(32);
        g.WriteMem<ulong>(IntegerGuest.DataBase, 0x1111_1111_2222_2222);
        g[G.Rdx] = 0x1111_1111; g[G.Rax] = 0x2222_2222; g[G.Rcx] = 0x3333_3333; g[G.Rbx] = 0x4444_4444;
        g.SetFlags(CF | SF);
        Assert.True(g.Exec(a => a.@lock.cmpxchg8b(__qword_ptr[IntegerGuest.DataBase])));
        Assert.Equal(0x3333_3333_4444_4444ul, g.ReadMem<ulong>(IntegerGuest.DataBase));
        g.AssertFlags(CF | SF | ZF); // only ZF changes

        g.WriteMem<ulong>(IntegerGuest.DataBase, 0x5555_5555_6666_6666);
        Assert.True(g.Exec(a => a.cmpxchg8b(__qword_ptr[IntegerGuest.DataBase])));
        Assert.Equal(0x5555_5555ul, g[G.Rdx]);
        Assert.Equal(0x6666_6666ul, g[G.Rax]);
        Assert.Equal(0x5555_5555_6666_6666ul, g.ReadMem<ulong>(IntegerGuest.DataBase));
        g.AssertFlags(CF | SF);
    }

    [Fact]
    public void Cmpxchg16bNeedsAlignment()
    {
        using var g = new IntegerGuest(64);
        g[G.Rsi] = IntegerGuest.DataBase;
        g.WriteMem<ulong>(IntegerGuest.DataBase, 1);
        g.WriteMem<ulong>(IntegerGuest.DataBase + 8, 2);
        g[G.Rax] = 1; g[G.Rdx] = 2; g[G.Rbx] = 3; g[G.Rcx] = 4;
        Assert.True(g.Exec(a => a.cmpxchg16b(__xmmword_ptr[rsi])));
        Assert.Equal(3ul, g.ReadMem<ulong>(IntegerGuest.DataBase));
        Assert.Equal(4ul, g.ReadMem<ulong>(IntegerGuest.DataBase + 8));
        g.AssertFlags(ZF, ZF);

        Assert.True(g.Exec(a => a.cmpxchg16b(__xmmword_ptr[rsi])));
        Assert.Equal(3ul, g[G.Rax]);
        Assert.Equal(4ul, g[G.Rdx]);
        g.AssertFlags(0, ZF);

        g[G.Rsi] = IntegerGuest.DataBase + 8;
        g.ExecFaults(ExceptionVector.GeneralProtection, a => a.cmpxchg16b(__xmmword_ptr[rsi]));
    }

    [Fact]
    public void FlagInstructions()
    {
        using var g = new IntegerGuest(64);
        g.SetFlags(0);
        Assert.True(g.Exec(a => a.stc()));
        g.AssertFlags(CF);
        Assert.True(g.Exec(a => a.cmc()));
        g.AssertFlags(0);
        Assert.True(g.Exec(a => a.cmc()));
        Assert.True(g.Exec(a => a.clc()));
        g.AssertFlags(0);
        Assert.True(g.Exec(a => a.std()));
        Assert.True(g.Cpu.DirectionFlag);
        Assert.True(g.Exec(a => a.cld()));
        Assert.False(g.Cpu.DirectionFlag);

        g.SetFlags(OF);
        g[G.Rax] = 0xD500; // SF ZF AF PF CF
        Assert.True(g.Exec(a => a.sahf()));
        g.AssertFlags(OF | SF | ZF | AF | PF | CF);
        g[G.Rax] = 0;
        g.SetFlags(ZF | PF | OF);
        Assert.True(g.Exec(a => a.lahf()));
        Assert.Equal(0x4600ul, g[G.Rax]); // ZF | PF | bit 1
    }
}
