using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.TestGuests;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Vmx.Tests;

/// <summary>An interrupt injected by the entry that resumes from a HLT exit runs its handler first (the exit stub's continuation is the handler).</summary>
public sealed class HaltInjectionTests
{
    [Fact]
    public void InterruptPendingAtStiHltIsInjectedWhenTheHaltResumes()
    {
        var source = new TestInterruptSource { Vector = 0x40 };
        const ulong handler = BareMetal.CodeAddress + 0x800;
        using var g = new VmxGuest(a => { a.mov(al, 1); a.@out(0x80, al); a.sti(); a.hlt(); a.mov(al, 3); a.@out(0x83, al); a.hlt(); },
            setup: cpu => { GuestTables.Install(cpu); GuestTables.Gate(cpu, 0x40, handler);
                cpu.Physical.WriteBytes(handler, VmxGuest.Encode(64, a => { a.mov(al, 0x41); a.@out(0x81, al); a.iretq(); })); cpu.Interrupts = source; });
        Assert.Equal(StopReason.Halted, g.Run());
        Assert.Equal(new ushort[] { 0x80, 0x81, 0x83 }, g.Ports.Accesses.Select(p => p.Port).ToArray());
        Assert.Equal(new[] { 1, 30, 12, 30, 30, 12 }, g.Exits.Select(e => e.BasicReason).ToArray());
        Assert.Equal(handler + (ulong)VmxGuest.Encode(64, a => a.mov(al, 0x41)).Length, g.Exits[3].GuestRip);
    }
}
