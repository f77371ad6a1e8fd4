using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;
using JitVirt.Cpu.Tests.Support;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Cpu.Tests.DataFlow;

public class InputOutputTests
{
    [Fact]
    public void RealModeInAndOutAreLogged()
    {
        using var m = new TestMachine();
        m.Ports.ReadValues[0x60] = 0x5A;
        m.Ports.ReadValues[0x1F0] = 0x1234;
        m.Load(16, 0x7C00, a =>
        {
            a.@in(al, 0x60);
            a.@out(0x80, al);
            a.mov(dx, 0x1F0);
            a.@in(ax, dx);
            a.mov(eax, 0x1234_5678);
            a.@out(dx, eax);
            a.hlt();
        });
        m.StartRealMode(0, 0x7C00);
        Assert.Equal(StopReason.Halted, m.Run(100));
        Assert.Equal(new (bool, ushort, int, uint)[]
        {
            (false, 0x60, 1, 0x5A), (true, 0x80, 1, 0x5A), (false, 0x1F0, 2, 0x1234), (true, 0x1F0, 4, 0x1234_5678),
        }, m.Ports.Log);
    }

    const ulong Tss = 0x4000;

    /// <summary>A 32-bit TSS whose I/O map (at 0x68) denies everything but ports 60, 70-71 and 3FF; the map's last byte (offset E8) is the limit.</summary>
    static TestMachine Cpl3WithIoBitmap(ulong flags = 0)
    {
        var m = new TestMachine();
        m.EnterProtected32(0x1000, 0x8000, cpl: 3, flags: flags);
        m.Memory.WriteBytes(Tss + Cpu.TssIoMapBaseOffset, BitConverter.GetBytes((ushort)0x68));
        m.Memory.RamSpan(Tss + 0x68, 0x81).Fill(0xFF);
        m.Memory.WriteByte(Tss + 0x68 + 0x60 / 8, 0xFE);
        m.Memory.WriteByte(Tss + 0x68 + 0x70 / 8, 0xFC);
        m.Memory.WriteByte(Tss + 0x68 + 0x3FF / 8, 0x7F);
        m.Cpu.Tr = new SegmentRegister { Selector = 0x28, Base = Tss, Limit = 0xE8, AccessRights = 0x8B };
        return m;
    }

    static bool Run(TestMachine m, Action<Assembler> insn, ushort dx = 0)
    {
        m.Load(32, 0x1000, insn);
        m.Cpu.Rip = 0x1000;
        m.Cpu.Gpr[Gpr.Rdx] = dx;
        return m.Step();
    }

    [Fact]
    public void IoBitmapDecidesAtCpl3WithIopl0()
    {
        using var m = Cpl3WithIoBitmap();
        Assert.True(Run(m, a => a.@in(al, 0x60)));
        Assert.False(Run(m, a => a.@in(al, 0x61)));
        m.AssertFault(ExceptionVector.GeneralProtection, 0);
        Assert.True(Run(m, a => a.@in(ax, 0x70)));
        Assert.False(Run(m, a => a.@in(eax, 0x70)));   // 72 and 73 are denied
        m.AssertFault(ExceptionVector.GeneralProtection, 0);
        Assert.True(Run(m, a => a.@out(dx, al), 0x3FF)); // map byte E7 plus the byte read after it (E8) are within the limit
        Assert.False(Run(m, a => a.@in(al, dx), 0x400)); // map byte E8 plus E9: beyond the limit
        m.AssertFault(ExceptionVector.GeneralProtection, 0);
        Assert.Equal(new (bool, ushort, int, uint)[] { (false, 0x60, 1, 0xFF), (false, 0x70, 2, 0xFFFF), (true, 0x3FF, 1, 0) },
            m.Ports.Log.Select(e => (e.Write, e.Port, e.Size, e.Write ? e.Value & 0 : e.Value)).ToArray());
    }

    [Fact]
    public void IoplAtLeastCplSkipsTheBitmap()
    {
        using var m = Cpl3WithIoBitmap(flags: Rflags.IoplMask);
        m.Cpu.Tr = new SegmentRegister { Limit = 0, AccessRights = 0x8B }; // no bitmap at all
        Assert.True(Run(m, a => a.@out(0x61, al)));
    }

    [Fact]
    public void V86ConsultsTheBitmapWhateverTheIopl()
    {
        using var m = new TestMachine();
        m.Memory.WriteBytes(0x7C00, new byte[] { 0xE4, 0x61, 0xE4, 0x60 }); // IN AL, 61; IN AL, 60
        m.EnterV86(0, 0x7C00, 0x8000, iopl: 3);
        m.Memory.WriteBytes(Tss + Cpu.TssIoMapBaseOffset, BitConverter.GetBytes((ushort)0x68));
        m.Memory.RamSpan(Tss + 0x68, 0x81).Fill(0xFF);
        m.Memory.WriteByte(Tss + 0x68 + 0x60 / 8, 0xFE);
        m.Cpu.Tr = new SegmentRegister { Selector = 0x28, Base = Tss, Limit = 0xE8, AccessRights = 0x8B };
        Assert.False(m.Step());
        m.AssertFault(ExceptionVector.GeneralProtection, 0);
        m.Cpu.Rip = 0x7C02;
        Assert.True(m.Step());
    }

    [Fact]
    public void DeniedRepOutsbFaultsBeforeAnyAccess()
    {
        using var m = Cpl3WithIoBitmap();
        m.Cpu.Gpr[Gpr.Rcx] = 3;
        m.Cpu.Gpr[Gpr.Rsi] = 0x2000;
        Assert.False(Run(m, a => a.rep.outsb(), 0x61));
        m.AssertFault(ExceptionVector.GeneralProtection, 0);
        Assert.Empty(m.Ports.Log);
        Assert.Equal(3ul, m.Cpu.Gpr[Gpr.Rcx]);
        Assert.Equal(0x2000ul, m.Cpu.Gpr[Gpr.Rsi]);
    }

    [Fact]
    public void SixteenBitTssHasNoBitmap()
    {
        using var m = Cpl3WithIoBitmap();
        m.Cpu.Tr.AccessRights = 0x83; // busy 16-bit TSS
        Assert.False(Run(m, a => a.@in(al, 0x60)));
        m.AssertFault(ExceptionVector.GeneralProtection, 0);
    }
}
