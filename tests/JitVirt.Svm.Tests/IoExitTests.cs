using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;
using JitVirt.Svm.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Svm.Tests;

/// <summary>
/// IOIO exits (AMD APM vol.2 §15.10.2, Figure 15-2): the test builds EXITINFO1 itself from the
/// instruction it assembled — bit 0 IN, bit 2 string, bit 3 REP, bits 6:4 one-hot operand size,
/// bits 9:7 one-hot address size, bits 12:10 segment, bits 31:16 port — and EXITINFO2 from the
/// instruction's encoded length (SDM vol.2 opcode tables).
/// </summary>
public class IoExitTests
{
    const int Ioio = 0x7B;

    static ulong Info(ushort port, bool isIn, bool str, bool rep, int sizeBytes, int addressBits, int segment = 0)
    {
        ulong sz = sizeBytes switch { 1 => 1ul << 4, 2 => 1ul << 5, 4 => 1ul << 6, _ => throw new ArgumentException() };
        ulong a = addressBits switch { 16 => 1ul << 7, 32 => 1ul << 8, 64 => 1ul << 9, _ => throw new ArgumentException() };
        return ((ulong)port << 16) | (isIn ? 1ul : 0) | (str ? 4ul : 0) | (rep ? 8ul : 0) | sz | a | ((ulong)segment << 10);
    }

    [Fact]
    public void OutDxAlIn64BitMode()
    {
        Label at = default;
        using var g = new SvmGuest(64, a =>
        {
            at = a.CreateLabel();
            a.mov(dx, 0x3F8);
            a.mov(al, 0x5A);
            a.Label(ref at);
            a.@out(dx, al); // EE
            a.hlt();
        });
        Assert.Equal(StopReason.Halted, g.Run());
        var e = g.Single(Ioio);
        Assert.Equal(Info(0x3F8, isIn: false, str: false, rep: false, 1, 64), e.Info1);
        Assert.Equal(g.Rip(at) + 1, e.Info2);
        Assert.Equal(g.Rip(at), e.Rip);
        Assert.Equal(0u, e.IntInfo);
        Assert.Equal(new RecordingPorts.Access(false, 0x3F8, 1, 0x5A), Assert.Single(g.Ports.Accesses));
    }

    [Fact]
    public void InEaxImmediateIn32BitModeZeroExtendsIntoRax()
    {
        Label at = default;
        using var g = new SvmGuest(32, a =>
        {
            at = a.CreateLabel();
            a.Label(ref at);
            a.@in(eax, 0x71); // E5 71
            a.hlt();
        });
        g.Ports.InValue = 0xCAFE_F00D;
        Assert.Equal(StopReason.Halted, g.Run());
        var e = g.Single(Ioio);
        Assert.Equal(Info(0x71, isIn: true, str: false, rep: false, 4, 32), e.Info1);
        Assert.Equal(g.Rip(at) + 2, e.Info2);
        Assert.Equal(0xCAFE_F00Dul, g.Cpu.Gpr[Gpr.Rax]);
    }

    [Fact]
    public void InAxDxInRealModeKeepsTheUpperBitsOfRax()
    {
        Label at = default;
        using var g = new SvmGuest(16, a =>
        {
            at = a.CreateLabel();
            a.mov(eax, 0x1234_5678);
            a.mov(dx, 0x1F0);
            a.Label(ref at);
            a.@in(ax, dx); // ED (16-bit operand size is the default in real mode)
            a.hlt();
        });
        g.Ports.InValue = 0xAAAA_BEEF;
        Assert.Equal(StopReason.Halted, g.Run());
        var e = g.Single(Ioio);
        Assert.Equal(Info(0x1F0, isIn: true, str: false, rep: false, 2, 16), e.Info1);
        Assert.Equal(g.Rip(at) + 1, e.Info2);
        Assert.Equal(0x1234_BEEFul, g.Cpu.Gpr[Gpr.Rax]);
    }

    [Fact]
    public void RepOutsbWithAddressSizePrefixIn64BitMode()
    {
        Label at = default;
        using var g = new SvmGuest(64, a =>
        {
            at = a.CreateLabel();
            a.mov(dx, 0xE9);
            a.mov(esi, (uint)SvmGuest.DataAddress);
            a.mov(ecx, 3);
            a.Label(ref at);
            a.db(0x67, 0xF3, 0x6E); // addr32 rep outsb: DS:ESI
            a.hlt();
        }, setup: s => s.Memory.WriteBytes(SvmGuest.DataAddress, "abc"u8.ToArray()));
        Assert.Equal(StopReason.Halted, g.Run());
        var e = g.Single(Ioio);
        Assert.Equal(Info(0xE9, isIn: false, str: true, rep: true, 1, 32, SegmentIndex.Ds), e.Info1);
        Assert.Equal(g.Rip(at) + 3, e.Info2);
        Assert.Equal("abc", new string(g.Ports.Accesses.Select(x => (char)x.Value).ToArray()));
        Assert.Equal(0ul, g.Cpu.Gpr[Gpr.Rcx]);
        Assert.Equal(SvmGuest.DataAddress + 3, g.Cpu.Gpr[Gpr.Rsi]);
    }

    [Fact]
    public void OutswWithFsOverrideReportsSegmentFs()
    {
        Label at = default;
        using var g = new SvmGuest(64, a =>
        {
            at = a.CreateLabel();
            a.mov(dx, 0x2F8);
            a.mov(rsi, SvmGuest.DataAddress);
            a.Label(ref at);
            a.db(0x64, 0x66, 0x6F); // fs outsw
            a.hlt();
        }, setup: s => s.Memory.WriteBytes(SvmGuest.DataAddress, [0x34, 0x12]));
        Assert.Equal(StopReason.Halted, g.Run());
        var e = g.Single(Ioio);
        Assert.Equal(Info(0x2F8, isIn: false, str: true, rep: false, 2, 64, SegmentIndex.Fs), e.Info1);
        Assert.Equal(g.Rip(at) + 3, e.Info2);
        Assert.Equal(new RecordingPorts.Access(false, 0x2F8, 2, 0x1234), Assert.Single(g.Ports.Accesses));
    }

    [Fact]
    public void RepInsdIn32BitModeUsesEs()
    {
        Label at = default;
        using var g = new SvmGuest(32, a =>
        {
            at = a.CreateLabel();
            a.mov(dx, 0x60);
            a.mov(edi, (uint)SvmGuest.DataAddress);
            a.mov(ecx, 2);
            a.Label(ref at);
            a.db(0xF3, 0x6D); // rep insd
            a.hlt();
        });
        g.Ports.InValue = 0x0BAD_CAFE;
        Assert.Equal(StopReason.Halted, g.Run());
        var e = g.Single(Ioio);
        Assert.Equal(Info(0x60, isIn: true, str: true, rep: true, 4, 32, SegmentIndex.Es), e.Info1);
        Assert.Equal(g.Rip(at) + 2, e.Info2);
        Assert.Equal(0x0BAD_CAFEu, (uint)g.Memory.Read(SvmGuest.DataAddress, 4));
        Assert.Equal(0x0BAD_CAFEu, (uint)g.Memory.Read(SvmGuest.DataAddress + 4, 4));
    }

    [Fact]
    public void APortWithItsIopmBitClearDoesNotExit()
    {
        using var g = new SvmGuest(64, a =>
        {
            a.mov(al, 1);
            a.@out(0x80, al);
            a.mov(dx, 0x81);
            a.@out(dx, al);
            a.hlt();
        });
        g.Svm.Iopm.Set(0x80, false);
        Assert.Equal(StopReason.Halted, g.Run());
        var e = g.Single(Ioio);
        Assert.Equal(0x81ul, e.Info1 >> 16);
        Assert.Equal(2, g.Ports.Accesses.Count); // both writes reached the bus
    }
}
