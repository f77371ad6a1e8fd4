using JitVirt.Cpu.State;
using Xunit;
using static Iced.Intel.AssemblerRegisters;
using static JitVirt.Cpu.State.Rflags;
using G = JitVirt.Cpu.State.Gpr;

namespace JitVirt.Cpu.Tests.Integer;

/// <summary>ADD ADC SUB SBB CMP AND OR XOR TEST INC DEC NEG NOT; expected values worked by hand from the SDM definitions.</summary>
public class AluTests
{
    [Fact]
    public void Add8SignedOverflowSetsOfSfAf()
    {
        using var g = new IntegerGuest(16);
        g[G.Rax] = 0x7F;
        Assert.True(g.Exec(a => a.add(al, 1)));
        Assert.Equal(0x80ul, g[G.Rax]);
        g.AssertFlags(OF | SF | AF); // 0x80 has one bit set: PF=0
    }

    [Fact]
    public void Add16WrapsToZeroWithCarry()
    {
        using var g = new IntegerGuest(16);
        g[G.Rax] = 0xABCD_FFFF; g[G.Rbx] = 1;
        Assert.True(g.Exec(a => a.add(ax, bx)));
        Assert.Equal(0xABCD_0000ul, g[G.Rax]); // 16-bit writes merge
        g.AssertFlags(CF | ZF | AF | PF);
    }

    [Fact]
    public void AdcWithCarryInOverflowsIntoSign()
    {
        using var g = new IntegerGuest(32);
        g[G.Rax] = 0x7FFF_FFFF; g[G.Rbx] = 0;
        g.SetFlags(CF);
        Assert.True(g.Exec(a => a.adc(eax, ebx)));
        Assert.Equal(0x8000_0000ul, g[G.Rax]);
        g.AssertFlags(OF | SF | AF | PF);
    }

    [Fact]
    public void AdcAllOnesPlusAllOnesPlusCarry()
    {
        using var g = new IntegerGuest(32);
        g[G.Rax] = 0xFFFF_FFFF; g[G.Rbx] = 0xFFFF_FFFF;
        g.SetFlags(CF);
        Assert.True(g.Exec(a => a.adc(eax, ebx)));
        Assert.Equal(0xFFFF_FFFFul, g[G.Rax]);
        g.AssertFlags(CF | SF | AF | PF); // -1 + -1 + 1 = -1: no signed overflow

        g[G.Rax] = 0xFF; g[G.Rbx] = 0;
        g.SetFlags(CF);
        Assert.True(g.Exec(a => a.adc(al, bl)));
        Assert.Equal(0ul, g[G.Rax] & 0xFF);
        g.AssertFlags(CF | ZF | AF | PF);
    }

    [Fact]
    public void Sub64BorrowFromZero()
    {
        using var g = new IntegerGuest(64);
        g[G.Rax] = 0; g[G.Rbx] = 1;
        Assert.True(g.Exec(a => a.sub(rax, rbx)));
        Assert.Equal(ulong.MaxValue, g[G.Rax]);
        g.AssertFlags(CF | SF | AF | PF);
    }

    [Fact]
    public void SbbBorrowInCrossesSignBoundary()
    {
        using var g = new IntegerGuest(16);
        g[G.Rax] = 0x8000; g[G.Rbx] = 0;
        g.SetFlags(CF);
        Assert.True(g.Exec(a => a.sbb(ax, bx)));
        Assert.Equal(0x7FFFul, g[G.Rax]);
        g.AssertFlags(OF | AF | PF);

        // 0 - 0xFF - 1 = -256 ≡ 0 (mod 256): borrow out, zero, no signed overflow (0 - (-1) - 1 = 0).
        g[G.Rax] = 0; g[G.Rbx] = 0xFF;
        g.SetFlags(CF);
        Assert.True(g.Exec(a => a.sbb(al, bl)));
        Assert.Equal(0ul, g[G.Rax]);
        g.AssertFlags(CF | ZF | AF | PF);
    }

    [Fact]
    public void CmpMemoryLeavesMemoryAndSetsBorrow()
    {
        using var g = new IntegerGuest(32);
        g.WriteMem<uint>(IntegerGuest.DataBase, 5);
        Assert.True(g.Exec(a => a.cmp(__dword_ptr[IntegerGuest.DataBase], 7)));
        Assert.Equal(5u, g.ReadMem<uint>(IntegerGuest.DataBase));
        g.AssertFlags(CF | SF | AF); // 0xFFFFFFFE: low byte FE has seven bits, PF=0
    }

    [Fact]
    public void AddImm8SignExtendedIn64BitMode()
    {
        using var g = new IntegerGuest(64);
        g[G.Rax] = 1;
        Assert.True(g.Exec(a => a.add(rax, -1)));
        Assert.Equal(0ul, g[G.Rax]);
        g.AssertFlags(CF | ZF | AF | PF);
    }

    [Fact]
    public void LogicClearsCarryAndOverflow()
    {
        using var g = new IntegerGuest(32);
        g.SetFlags(CF | OF);
        g[G.Rax] = 0xF0;
        Assert.True(g.Exec(a => a.and(al, 0x0F)));
        Assert.Equal(0ul, g[G.Rax]);
        g.AssertFlags(ZF | PF, CF | OF | SF | ZF | PF);

        g[G.Rax] = 0x8000;
        g.SetFlags(CF | OF);
        Assert.True(g.Exec(a => a.or(ax, 1)));
        Assert.Equal(0x8001ul, g[G.Rax]);
        g.AssertFlags(SF, CF | OF | SF | ZF | PF);

        g.WriteMem<byte>(IntegerGuest.DataBase, 0x81);
        Assert.True(g.Exec(a => a.test(__byte_ptr[IntegerGuest.DataBase], 0x80)));
        g.AssertFlags(SF, CF | OF | SF | ZF | PF);
        Assert.Equal((byte)0x81, g.ReadMem<byte>(IntegerGuest.DataBase));
    }

    [Fact]
    public void Xor32ZeroExtendsIn64BitMode()
    {
        using var g = new IntegerGuest(64);
        g[G.Rax] = ulong.MaxValue;
        Assert.True(g.Exec(a => a.xor(eax, eax)));
        Assert.Equal(0ul, g[G.Rax]);
        g.AssertFlags(ZF | PF, CF | OF | SF | ZF | PF);
    }

    [Fact]
    public void IncDecKeepCarry()
    {
        using var g = new IntegerGuest(16);
        g.SetFlags(CF);
        g[G.Rax] = 0xFF;
        Assert.True(g.Exec(a => a.inc(al)));
        Assert.Equal(0ul, g[G.Rax]);
        g.AssertFlags(CF | ZF | AF | PF);

        g.SetFlags(0);
        g[G.Rbx] = 0x8000;
        Assert.True(g.Exec(a => a.dec(bx)));
        Assert.Equal(0x7FFFul, g[G.Rbx]);
        g.AssertFlags(OF | AF | PF);
    }

    [Fact]
    public void IncDecMemory64()
    {
        using var g = new IntegerGuest(64);
        g[G.Rsi] = IntegerGuest.DataBase;
        g.WriteMem<ulong>(IntegerGuest.DataBase, 0x7FFF_FFFF_FFFF_FFFF);
        Assert.True(g.Exec(a => a.inc(__qword_ptr[rsi])));
        Assert.Equal(0x8000_0000_0000_0000ul, g.ReadMem<ulong>(IntegerGuest.DataBase));
        g.AssertFlags(OF | SF | AF | PF);
    }

    [Fact]
    public void NegOfMostNegativeOverflows()
    {
        using var g = new IntegerGuest(16);
        g[G.Rax] = 0x80;
        Assert.True(g.Exec(a => a.neg(al)));
        Assert.Equal(0x80ul, g[G.Rax]);
        g.AssertFlags(CF | OF | SF);

        g[G.Rbx] = 0;
        g.SetFlags(CF);
        Assert.True(g.Exec(a => a.neg(ebx)));
        Assert.Equal(0ul, g[G.Rbx]);
        g.AssertFlags(ZF | PF); // CF = (source ≠ 0) = 0

        g[G.Rcx] = 1;
        Assert.True(g.Exec(a => a.neg(cx)));
        Assert.Equal(0xFFFFul, g[G.Rcx]);
        g.AssertFlags(CF | SF | AF | PF);
    }

    [Fact]
    public void NotChangesNoFlags()
    {
        using var g = new IntegerGuest(32);
        g.SetFlags(OF | ZF | PF);
        g.WriteMem<ushort>(IntegerGuest.DataBase, 0x00FF);
        Assert.True(g.Exec(a => a.not(__word_ptr[IntegerGuest.DataBase])));
        Assert.Equal((ushort)0xFF00, g.ReadMem<ushort>(IntegerGuest.DataBase));
        g.AssertFlags(OF | ZF | PF);
    }

    [Fact]
    public void LockIsAcceptedOnMemoryDestinationOnly()
    {
        using var g = new IntegerGuest(32);
        g.WriteMem<uint>(IntegerGuest.DataBase, 40);
        g[G.Rax] = 2;
        Assert.True(g.Exec(a => a.@lock.add(__dword_ptr[IntegerGuest.DataBase], eax)));
        Assert.Equal(42u, g.ReadMem<uint>(IntegerGuest.DataBase));

        g.ExecFaults(ExceptionVector.InvalidOpcode, 0xF0, 0x01, 0xD8);                       // lock add eax, ebx
        g.ExecFaults(ExceptionVector.InvalidOpcode, 0xF0, 0x39, 0x05, 0x00, 0x20, 0x00, 0x00); // lock cmp [0x2000], eax
        g.ExecFaults(ExceptionVector.InvalidOpcode, 0xF0, 0x85, 0x05, 0x00, 0x20, 0x00, 0x00); // lock test [0x2000], eax
        g.ExecFaults(ExceptionVector.InvalidOpcode, 0xF0, 0xFE, 0xC0);                       // lock inc al
        g.ExecFaults(ExceptionVector.InvalidOpcode, 0xF0, 0xF7, 0xD0);                       // lock not eax
        Assert.Equal(2ul, g[G.Rax]);
        Assert.Equal(42u, g.ReadMem<uint>(IntegerGuest.DataBase));
    }

    [Fact]
    public void Opcode82IsInvalidIn64BitMode()
    {
        using (var g32 = new IntegerGuest(32))
        {
            g32[G.Rax] = 1;
            Assert.True(g32.Exec(0x82, 0xC0, 0x01)); // add al, 1 (82 /0 ib)
            Assert.Equal(2ul, g32[G.Rax]);
        }
        using var g = new IntegerGuest(64);
        Assert.False(g.ExecDecodedAs(32, 0x82, 0xC0, 0x01)); // Iced does not decode 82h in 64-bit code; the handler checks too
        Assert.Equal(ExceptionVector.InvalidOpcode, g.Cpu.PendingException.Vector);
    }

    [Fact]
    public void MemoryRmwPageFaultLeavesMemoryRegistersAndFlagsUnchanged()
    {
        using var g = new IntegerGuest(32, new HoleTranslator(0x3000));
        const ulong addr = 0x2FFE; // the dword spans 0x2FFE..0x3001; 0x3000 is not present
        g.WriteMem<ushort>(addr, 0x1234);
        g[G.Rax] = 0xFFFF_FFFF;
        g.SetFlags(OF | PF);

        g.ExecFaults(ExceptionVector.PageFault, a => a.add(__dword_ptr[addr], eax));
        Assert.Equal(0x3000ul, g.Cpu.Cr2);
        Assert.Equal((ushort)0x1234, g.ReadMem<ushort>(addr));
        g.AssertFlags(OF | PF);

        g.ExecFaults(ExceptionVector.PageFault, a => a.inc(__dword_ptr[addr]));
        g.ExecFaults(ExceptionVector.PageFault, a => a.shl(__dword_ptr[addr], 3));
        g.ExecFaults(ExceptionVector.PageFault, a => a.xadd(__dword_ptr[addr], eax));
        g.ExecFaults(ExceptionVector.PageFault, a => a.cmpxchg(__dword_ptr[addr], ecx));
        g.ExecFaults(ExceptionVector.PageFault, a => a.bts(__dword_ptr[addr], 0));
        g.ExecFaults(ExceptionVector.PageFault, a => a.sub(eax, __dword_ptr[addr]));
        Assert.Equal((ushort)0x1234, g.ReadMem<ushort>(addr));
        Assert.Equal(0xFFFF_FFFFul, g[G.Rax]);
        g.AssertFlags(OF | PF);
    }

    [Fact]
    public void RealModeSegmentLimitFaultLeavesMemoryUnchanged()
    {
        using var g = new IntegerGuest(16);
        g.WriteMem<byte>(0xFFFF, 0x77);
        g.ExecFaults(ExceptionVector.GeneralProtection, a => a.add(__word_ptr[0xFFFF], 1));
        Assert.Equal((byte)0x77, g.ReadMem<byte>(0xFFFF));
    }
}
