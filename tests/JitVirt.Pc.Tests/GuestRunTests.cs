using JitVirt.Cpu.State;
using JitVirt.Machine.Pc;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Pc.Tests;

/// <summary>Small real-mode guests run end to end on the machine (need MOV, OUT, IRET, HLT from the core).</summary>
public class GuestRunTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public void GuestDebugExitValueBecomesTheStatus()
    {
        using var serial = new MemoryStream();
        using var m = TestGuests.Machine(serial);
        m.Boot(TestGuests.RealMode(a =>
        {
            a.mov(al, 0x15);
            a.@out(0xF4, al);
            a.hlt();
        }));
        var result = m.Run(timeout: Timeout);
        Assert.Equal(RunOutcome.DebugExit, result.Outcome);
        Assert.Equal((0x15 << 1) | 1, result.ExitStatus);
        Assert.Equal(2, result.InstructionsRetired);
    }

    [Fact]
    public void PicIrqIsDeliveredThroughTheRealModeIvt()
    {
        using var serial = new MemoryStream();
        using var e9 = new MemoryStream();
        using var m = TestGuests.Machine(serial, e9, c => c with { PcTestDev = true });
        m.Boot(TestGuests.RealMode(a =>
        {
            // ICW1-ICW4: vectors 08h-0Fh, slave on IR2, 8086 mode; unmask IRQ3.
            foreach (var (port, value) in new (byte, byte)[] { (0x20, 0x11), (0x21, 0x08), (0x21, 0x04), (0x21, 0x01), (0x21, 0xF7) })
            {
                a.mov(al, value);
                a.@out(port, al);
            }
            a.sti();
            a.mov(dx, 0x2003); // pc-testdev: raise ISA IRQ3
            a.mov(al, 1);
            a.@out(dx, al);
            a.nop(); // the interrupt is taken at an instruction boundary after the OUT
            a.mov(al, (byte)'D');
            a.@out(0xE9, al);
            a.mov(al, 0);
            a.@out(0xF4, al);
        }));
        // IRQ3 → vector 0Bh: print 'I', drop the line, non-specific EOI (OCW2 20h), IRET.
        TestGuests.InstallHandler(m, 0x0B, a =>
        {
            a.mov(al, (byte)'I');
            a.@out(0xE9, al);
            a.mov(dx, 0x2003);
            a.mov(al, 0);
            a.@out(dx, al);
            a.mov(al, 0x20);
            a.@out(0x20, al);
            a.iret();
        });
        var result = m.Run(timeout: Timeout);
        Assert.Equal(RunOutcome.DebugExit, result.Outcome);
        Assert.Equal(1, result.ExitStatus);
        Assert.Equal("ID", TestGuests.Text(e9));
    }

    [Fact]
    public void PitInterruptWakesHltInDeterministicTime()
    {
        using var m = RunPitGuest(deterministic: true, out var result, out string e9);
        Assert.Equal(RunOutcome.DebugExit, result.Outcome);
        Assert.Equal(new string('T', PitTicks), e9);
        Assert.True(result.InstructionsRetired < 1000, $"{result.InstructionsRetired} instructions: the wait should be skipped, not executed");
        long periodNs = PitDivisor * 1_000_000_000L / 1_193_182;
        Assert.InRange(m.Clock.NowNanoseconds, (PitTicks - 1) * periodNs, (PitTicks + 1) * periodNs);
    }

    [Fact]
    public void PitInterruptWakesHltInHostTime()
    {
        using var m = RunPitGuest(deterministic: false, out var result, out string e9);
        Assert.Equal(RunOutcome.DebugExit, result.Outcome);
        Assert.Equal(new string('T', PitTicks), e9);
        long periodNs = PitDivisor * 1_000_000_000L / 1_193_182;
        Assert.True(result.WallTime.Ticks * 100 >= (PitTicks - 1) * periodNs, $"woke after {result.WallTime}: the machine did not wait for the timer");
    }

    private const int PitTicks = 3;
    private const ushort PitDivisor = 11932; // ≈ 10 ms at 1.193182 MHz

    private static PcMachine RunPitGuest(bool deterministic, out RunResult result, out string debugConsole)
    {
        const int ticks = PitTicks;
        const ushort divisor = PitDivisor;
        var serial = new MemoryStream(); // outlive the machine, which flushes into them when disposed
        var e9 = new MemoryStream();
        var m = TestGuests.Machine(serial, e9, c => c with { Deterministic = deterministic });
        m.Boot(TestGuests.RealMode(a =>
        {
            var wait = a.CreateLabel();
            a.xor(bx, bx);
            foreach (var (port, value) in new (byte, byte)[]
                     { (0x20, 0x11), (0x21, 0x08), (0x21, 0x04), (0x21, 0x01), (0x21, 0xFE), (0x43, 0x34), (0x40, divisor & 0xFF), (0x40, divisor >> 8) })
            {
                a.mov(al, value);
                a.@out(port, al);
            }
            a.sti();
            a.Label(ref wait);
            a.hlt();
            a.cmp(bx, ticks);
            a.jb(wait);
            a.mov(al, 0);
            a.@out(0xF4, al);
        }));
        TestGuests.InstallHandler(m, 0x08, a => // IRQ0: print 'T', count in BX, EOI
        {
            a.push(ax);
            a.mov(al, (byte)'T');
            a.@out(0xE9, al);
            a.inc(bx);
            a.mov(al, 0x20);
            a.@out(0x20, al);
            a.pop(ax);
            a.iret();
        });
        result = m.Run(timeout: Timeout);
        debugConsole = TestGuests.Text(e9);
        return m;
    }

    [Fact]
    public void SerialOutputIsKeptWhenTheRunTimesOut()
    {
        using var serial = new MemoryStream();
        using var m = TestGuests.Machine(serial);
        m.Boot(TestGuests.RealMode(a =>
        {
            var spin = a.CreateLabel();
            a.mov(dx, 0x3F8);
            foreach (char c in "hello")
            {
                a.mov(al, (byte)c);
                a.@out(dx, al);
            }
            a.Label(ref spin);
            a.jmp(spin);
        }));
        var result = m.Run(timeout: TimeSpan.FromMilliseconds(300));
        Assert.Equal(RunOutcome.Timeout, result.Outcome);
        Assert.Equal("hello", TestGuests.Text(serial));
    }

    [Fact]
    public void SerialOutputIsKeptOnTripleFault()
    {
        using var serial = new MemoryStream();
        using var m = TestGuests.Machine(serial);
        m.Boot(TestGuests.RealMode(a =>
        {
            a.mov(dx, 0x3F8);
            foreach (char c in "bye")
            {
                a.mov(al, (byte)c);
                a.@out(dx, al);
            }
            a.int3();
        }));
        // No IVT: with an IDTR limit of 0 the INT3 cannot be delivered and the processor shuts down
        // (SDM vol.3 §20.1.4: an IVT entry beyond the limit is a shutdown condition here).
        m.Cpu.Idtr = new DescriptorTableRegister { Base = 0, Limit = 0 };
        var result = m.Run(timeout: Timeout);
        Assert.Equal(RunOutcome.Shutdown, result.Outcome);
        Assert.Equal("bye", TestGuests.Text(serial));
    }

    [Fact]
    public void ResetRequestRebootsIntoTheImage()
    {
        using var serial = new MemoryStream();
        using var m = TestGuests.Machine(serial, tweak: c => c with { NoReboot = false });
        m.Boot(TestGuests.RealMode(a =>
        {
            // First boot: the flag at 500h is clear → set it and reset through CF9h; after the reboot it is set → exit.
            var second = a.CreateLabel();
            a.xor(ax, ax);
            a.mov(ds, ax);
            a.cmp(__byte_ptr[0x500], 0);
            a.jne(second);
            a.mov(__byte_ptr[0x500], 1);
            a.mov(dx, 0xCF9);
            a.mov(al, 0x06);
            a.@out(dx, al); // PIIX reset control: hard reset
            a.hlt();
            a.Label(ref second);
            a.mov(al, 0x7);
            a.@out(0xF4, al);
        }));
        var result = m.Run(timeout: Timeout);
        Assert.Equal(RunOutcome.DebugExit, result.Outcome);
        Assert.Equal(15, result.ExitStatus);
        Assert.Equal(1, m.ResetCount);
    }
}
