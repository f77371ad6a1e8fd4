using Xunit;
using static Iced.Intel.AssemblerRegisters;
using static JitVirt.Cpu.State.Rflags;
using G = JitVirt.Cpu.State.Gpr;

namespace JitVirt.Cpu.Tests.Integer;

/// <summary>BT BTS BTR BTC, BSF BSR, BSWAP, SETcc and CMOVcc (SDM vol.2).</summary>
public class BitTests
{
    [Fact]
    public void BitTestRegisterFormsUseOffsetModuloWidth()
    {
        using var g = new IntegerGuest(32);
        g[G.Rax] = 0x10;
        Assert.True(g.Exec(a => a.bt(eax, 4)));
        g.AssertFlags(CF, CF);
        Assert.True(g.Exec(a => a.bt(eax, 36))); // 36 mod 32 = 4
        g.AssertFlags(CF, CF);

        g[G.Rax] = 0; g[G.Rbx] = 0x13; // 19 mod 16 = 3
        Assert.True(g.Exec(a => a.bts(ax, bx)));
        Assert.Equal(0x0008ul, g[G.Rax]);
        g.AssertFlags(0, CF);
    }

    [Fact]
    public void BtrBtc64()
    {
        using var g = new IntegerGuest(64);
        g[G.Rax] = ulong.MaxValue;
        Assert.True(g.Exec(a => a.btr(rax, 63)));
        Assert.Equal(0x7FFF_FFFF_FFFF_FFFFul, g[G.Rax]);
        g.AssertFlags(CF, CF);
        g[G.Rcx] = 127; // 127 mod 64 = 63
        Assert.True(g.Exec(a => a.btc(rax, rcx)));
        Assert.Equal(ulong.MaxValue, g[G.Rax]);
        g.AssertFlags(0, CF);
    }

    [Fact]
    public void BitTestMemoryImmediateStaysInTheOperand()
    {
        using var g = new IntegerGuest(16);
        g.WriteMem<ushort>(IntegerGuest.DataBase, 0x0001);
        Assert.True(g.Exec(a => a.btc(__word_ptr[IntegerGuest.DataBase], 17))); // 17 mod 16 = 1
        Assert.Equal((ushort)0x0003, g.ReadMem<ushort>(IntegerGuest.DataBase));
        g.AssertFlags(0, CF);
    }

    [Fact]
    public void BitTestMemoryWithNegativeRegisterOffsetAddressesBelowTheOperand()
    {
        using var g = new IntegerGuest(16);
        g.WriteMem<ushort>(0x200E, 0x8000);
        g[G.Rax] = 0xFFFF; // bit offset -1: the word below, bit 15
        Assert.True(g.Exec(a => a.bt(__word_ptr[0x2010], ax)));
        g.AssertFlags(CF, CF);

        using var g32 = new IntegerGuest(32);
        g32[G.Rax] = unchecked((uint)-33); // -33 SAR 5 = -2 dwords; bit -33 AND 31 = 31
        Assert.True(g32.Exec(a => a.bts(__dword_ptr[0x2010], eax)));
        Assert.Equal(0x8000_0000u, g32.ReadMem<uint>(0x2008));
        Assert.Equal(0u, g32.ReadMem<uint>(0x2010));
        g32.AssertFlags(0, CF);

        g32[G.Rax] = 100; // dword 3 (0x200C), bit 4
        g32.WriteMem<uint>(0x200C, 0x10);
        Assert.True(g32.Exec(a => a.btr(__dword_ptr[0x2000], eax)));
        Assert.Equal(0u, g32.ReadMem<uint>(0x200C));
        g32.AssertFlags(CF, CF);
    }

    [Fact]
    public void BitTestMemory64WithRegisterOffset()
    {
        using var g = new IntegerGuest(64);
        g[G.Rsi] = 0x2100; g[G.Rax] = unchecked((ulong)-1L); // qword below, bit 63
        g.WriteMem<ulong>(0x20F8, 0x8000_0000_0000_0000);
        Assert.True(g.Exec(a => a.btc(__qword_ptr[rsi], rax)));
        Assert.Equal(0ul, g.ReadMem<ulong>(0x20F8));
        g.AssertFlags(CF, CF);
    }

    [Fact]
    public void LockIsInvalidOnBtButValidOnBtsMemory()
    {
        using var g = new IntegerGuest(32);
        g[G.Rax] = 1;
        Assert.True(g.Exec(a => a.@lock.bts(__dword_ptr[IntegerGuest.DataBase], eax)));
        Assert.Equal(2u, g.ReadMem<uint>(IntegerGuest.DataBase));
        g.ExecFaults(ExceptionVector.InvalidOpcode, 0xF0, 0x0F, 0xA3, 0x05, 0x00, 0x20, 0x00, 0x00); // lock bt [0x2000], eax
        g.ExecFaults(ExceptionVector.InvalidOpcode, 0xF0, 0x0F, 0xAB, 0xC3);                         // lock bts ebx, eax
    }

    [Fact]
    public void TzcntAndLzcntRunAsBsfAndBsrWithoutBmi1OrLzcnt()
    {
        // The modelled Core 2 has neither BMI1 nor LZCNT, so F3 0F BC / F3 0F BD are BSF / BSR (SDM vol.2
        // TZCNT, LZCNT). Linux's __ffs() is "rep bsf" and must not raise #UD on such a processor.
        using var g = new IntegerGuest(64);
        g[G.Rbx] = 0x0000_0100_0000_0000; // bit 40 only
        Assert.True(g.Exec(a => a.tzcnt(rax, rbx)));
        Assert.Equal(40ul, g[G.Rax]);
        g.AssertFlags(0, ZF);
        Assert.True(g.Exec(a => a.lzcnt(rcx, rbx)));
        Assert.Equal(40ul, g[G.Rcx]); // BSR: index of the highest set bit, not the 23 leading zeros LZCNT would count
        g.AssertFlags(0, ZF);

        g[G.Rax] = 0x1234_5678_9ABC_DEF0; g[G.Rbx] = 0;
        Assert.True(g.Exec(a => a.tzcnt(rax, rbx)));
        Assert.Equal(0x1234_5678_9ABC_DEF0ul, g[G.Rax]); // BSF with a zero source: destination kept, ZF set (TZCNT would write 64)
        g.AssertFlags(ZF, ZF);

        g.WriteMem<uint>(IntegerGuest.DataBase, 0x0001_8000);
        Assert.True(g.Exec(a => a.tzcnt(edx, __dword_ptr[IntegerGuest.DataBase])));
        Assert.Equal(15ul, g[G.Rdx]);
        Assert.True(g.Exec(a => a.lzcnt(dx, __word_ptr[IntegerGuest.DataBase + 2])));
        Assert.Equal(0ul, g[G.Rdx] & 0xFFFF); // BSR of 0001h is 0; LZCNT would give 15
    }

    [Fact]
    public void BsfBsrZeroSourceSetsZfAndKeepsDestination()
    {
        using var g = new IntegerGuest(64);
        g[G.Rax] = 0x1234_5678_9ABC_DEF0; g[G.Rbx] = 0;
        Assert.True(g.Exec(a => a.bsf(eax, ebx)));
        Assert.Equal(0x1234_5678_9ABC_DEF0ul, g[G.Rax]);
        g.AssertFlags(ZF, ZF);
        Assert.True(g.Exec(a => a.bsr(rax, rbx)));
        Assert.Equal(0x1234_5678_9ABC_DEF0ul, g[G.Rax]);
        g.AssertFlags(ZF, ZF);

        g[G.Rbx] = 0x0100;
        Assert.True(g.Exec(a => a.bsf(ax, bx)));
        Assert.Equal(0x1234_5678_9ABC_0008ul, g[G.Rax]);
        g.AssertFlags(0, ZF);

        g[G.Rbx] = 0x8000_0000_0000_0001;
        Assert.True(g.Exec(a => a.bsr(rcx, rbx)));
        Assert.Equal(63ul, g[G.Rcx]);
        Assert.True(g.Exec(a => a.bsf(rcx, rbx)));
        Assert.Equal(0ul, g[G.Rcx]);
        g.AssertFlags(0, ZF);
    }

    [Fact]
    public void Bswap()
    {
        using var g = new IntegerGuest(64);
        g[G.Rax] = 0xFFFF_FFFF_1234_5678;
        Assert.True(g.Exec(a => a.bswap(eax)));
        Assert.Equal(0x7856_3412ul, g[G.Rax]);
        g[G.Rax] = 0x0102_0304_0506_0708;
        Assert.True(g.Exec(a => a.bswap(rax)));
        Assert.Equal(0x0807_0605_0403_0201ul, g[G.Rax]);
        g[G.Rax] = 0xAAAA_BBBB_CCCC_1234;
        Assert.True(g.Exec(0x66, 0x0F, 0xC8)); // bswap ax: undefined, zero by choice
        Assert.Equal(0xAAAA_BBBB_CCCC_0000ul, g[G.Rax]);
    }

    [Fact]
    public void SetccFollowsConditions()
    {
        using var g = new IntegerGuest(32);
        g[G.Rax] = 1; g[G.Rbx] = 2;
        Assert.True(g.Exec(a => a.cmp(eax, ebx))); // 1 - 2: CF=1 SF=1 OF=0 ZF=0
        Assert.True(g.Exec(a => a.setb(cl)));
        Assert.True(g.Exec(a => a.setl(ch)));
        Assert.True(g.Exec(a => a.setg(dl)));
        Assert.True(g.Exec(a => a.setae(dh)));
        Assert.True(g.Exec(a => a.setbe(__byte_ptr[IntegerGuest.DataBase])));
        Assert.True(g.Exec(a => a.sete(__byte_ptr[IntegerGuest.DataBase + 1])));
        Assert.Equal(0x0101ul, g[G.Rcx] & 0xFFFF);
        Assert.Equal(0x0000ul, g[G.Rdx] & 0xFFFF);
        Assert.Equal((byte)1, g.ReadMem<byte>(IntegerGuest.DataBase));
        Assert.Equal((byte)0, g.ReadMem<byte>(IntegerGuest.DataBase + 1));
    }

    [Fact]
    public void Cmov32ZeroExtendsEvenWhenFalseIn64BitMode()
    {
        using var g = new IntegerGuest(64);
        g[G.Rax] = 0xFFFF_FFFF_FFFF_FFFF; g[G.Rbx] = 5;
        g.SetFlags(0);
        Assert.True(g.Exec(a => a.cmove(eax, ebx))); // false
        Assert.Equal(0x0000_0000_FFFF_FFFFul, g[G.Rax]);
        Assert.True(g.Exec(a => a.cmovne(eax, ebx))); // true
        Assert.Equal(5ul, g[G.Rax]);

        g[G.Rax] = 0xFFFF_FFFF_FFFF_FFFF;
        Assert.True(g.Exec(a => a.cmove(ax, bx)));
        Assert.True(g.Exec(a => a.cmove(rax, rbx)));
        Assert.Equal(0xFFFF_FFFF_FFFF_FFFFul, g[G.Rax]);
        Assert.True(g.Exec(a => a.cmovae(ax, bx)));
        Assert.Equal(0xFFFF_FFFF_FFFF_0005ul, g[G.Rax]);
    }

    [Fact]
    public void CmovReadsItsMemorySourceEvenWhenFalse()
    {
        using var g = new IntegerGuest(16);
        g.SetFlags(0);
        g[G.Rax] = 0x1111;
        g.ExecFaults(ExceptionVector.GeneralProtection, a => a.cmove(ax, __word_ptr[0xFFFF])); // beyond the 64 KiB limit
        Assert.Equal(0x1111ul, g[G.Rax]);
    }
}
