using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.TestGuests;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Vmx.Tests;

/// <summary>
/// External-interrupt exiting, interrupt-window exiting and injection through the VM-entry
/// interruption-information field (SDM vol.3C §25.6.1, §26.3, §27.6; 2.6.20 do_interrupt_requests),
/// and VPID (§29.1): tagging, INVVPID, the flush on every entry without it.
/// </summary>
public sealed class InterruptAndVpidTests
{
    const ulong Handler = BareMetal.CodeAddress + 0x800;

    static void InterruptSetup(JitVirt.Cpu.Cpu cpu)
    {
        GuestTables.Install(cpu);
        GuestTables.Gate(cpu, 0x40, Handler);
        cpu.Physical.WriteBytes(Handler, VmxGuest.Encode(64, a => { a.mov(al, 0x41); a.@out(0x81, al); a.hlt(); }));
    }

    [Fact]
    public void BlockedInterruptOpensTheWindowAndIsInjectedWhenStiShadowEnds()
    {
        var source = new TestInterruptSource { Vector = 0x40 };
        Action<Assembler> beforeWindow = a => { a.mov(al, 1); a.@out(0x80, al); a.sti(); a.nop(); };
        using var g = new VmxGuest(a => { beforeWindow(a); a.mov(al, 2); a.@out(0x82, al); a.hlt(); },
            setup: cpu => { InterruptSetup(cpu); cpu.Interrupts = source; });
        Assert.Equal(StopReason.Halted, g.Run());
        // IF = 0 at entry: the interrupt exits (external-interrupt exiting), stays unacknowledged, the
        // window opens after STI's one-instruction shadow, the VMM injects vector 40h there.
        Assert.Equal(new[] { 1, 30, 7, 30, 12 }, g.Exits.Select(e => e.BasicReason).ToArray());
        ulong windowRip = BareMetal.CodeAddress + (ulong)VmxGuest.Encode(64, beforeWindow).Length;
        Assert.Equal(windowRip, g.Exits[2].GuestRip);
        Assert.Equal(new ushort[] { 0x80, 0x81 }, g.Ports.Accesses.Select(x => x.Port).ToArray());
        Assert.Null(source.Vector);                                                 // acknowledged exactly once
        // The handler's frame holds the interrupted RIP (the window point): an external interrupt returns to it.
        Assert.Equal(windowRip, g.Cpu.ReadLinear<ulong>(g.Cpu.Gpr[4], false));
    }

    [Fact]
    public void PendingInterruptWithIfSetIsInjectedAtEntry()
    {
        var source = new TestInterruptSource { Vector = 0x40 };
        using var g = new VmxGuest(a => { a.nop(); a.hlt(); }, setup: cpu => { InterruptSetup(cpu); cpu.SetRflags(0x202); cpu.Interrupts = source; });
        Assert.Equal(StopReason.Halted, g.Run());
        Assert.DoesNotContain(g.Exits, e => e.BasicReason is 1 or 7);               // acknowledged and injected before the guest ran
        Assert.Equal(new ushort[] { 0x81 }, g.Ports.Accesses.Select(x => x.Port).ToArray());
        Assert.Equal(BareMetal.CodeAddress, g.Cpu.ReadLinear<ulong>(g.Cpu.Gpr[4], false));
    }

    [Fact]
    public void HaltWithNothingToInjectGoesToTheMachineAndWakesOnAnInterrupt()
    {
        var source = new TestInterruptSource();
        using var g = new VmxGuest(a => { a.sti(); a.hlt(); a.hlt(); }, setup: cpu => { InterruptSetup(cpu); cpu.Interrupts = source; });
        Assert.Equal(StopReason.Halted, g.Run());
        Assert.Equal(StopReason.Halted, g.Run());                                   // still nothing: stays halted without entering
        int exitsBefore = g.Exits.Count;
        source.Vector = 0x40;
        Assert.Equal(StopReason.Halted, g.Run());                                   // woken, handler runs, halts again
        Assert.Equal(new ushort[] { 0x81 }, g.Ports.Accesses.Select(x => x.Port).ToArray());
        Assert.True(g.Exits.Count > exitsBefore);
        Assert.Equal(1L, g.Vmx.Exits.Snapshot().Single(r => r.Name == "IO_INSTRUCTION").Count);
        Assert.Equal(2L, g.Vmx.Exits.Snapshot().Single(r => r.Name == "HLT").Count);
    }

    [Fact]
    public void WithoutVpidEveryEntryFlushesAndRunsUntagged()
    {
        using var g = new VmxGuest(a => { a.cpuid(); a.cpuid(); a.hlt(); });
        int flushes = 0;
        g.Cpu.TlbFlushed += () => flushes++;
        Assert.Equal(StopReason.Halted, g.Run());
        Assert.Equal(0u, g.Cpu.TranslationTag);
        Assert.True(flushes >= 3, $"{flushes} flushes for 3 entries");               // launch + two CPUID resumes (SDM §29.4.3.1)
    }

    [Fact]
    public void WithVpidEntriesTagTranslationsAndDoNotFlush()
    {
        using var g = new VmxGuest(a => { a.cpuid(); a.cpuid(); a.hlt(); }, vpid: true);
        int flushes = 0;
        g.Cpu.TlbFlushed += () => flushes++;
        Assert.Equal(StopReason.Halted, g.Run());
        Assert.Equal((uint)g.Vmx.Vpid, g.Cpu.TranslationTag);
        Assert.Equal(0, flushes);
    }

    [Fact]
    public void Cr3SwitchUsesInvvpidAndNeverRecompiles()
    {
        using var g = new VmxGuest(a => { a.xor(eax, eax); a.mov(cr3, rax); a.mov(cr3, rax); a.mov(rax, 0x5000); a.invlpg(__[rax]); a.hlt(); }, vpid: true);
        g.SetProcControl(ProcControls.InvlpgExiting, true);
        Assert.Equal(StopReason.BudgetExhausted, g.Run(1));                        // launch and the XOR: blocks compiled under the final controls
        int invalidations = 0;
        g.Cpu.TranslatedCodeInvalidated += () => invalidations++;
        long invvpid = g.Vmx.Hardware.InvvpidCount;
        Assert.Equal(StopReason.Halted, g.Run());
        Assert.Equal(0, invalidations);
        Assert.Equal(3L, g.Vmx.Hardware.InvvpidCount - invvpid);                      // two MOV CR3 (type 3) + INVLPG (type 0)
    }

    [Fact]
    public void ChangingAnInterceptControlDropsTranslatedCode()
    {
        using var g = new VmxGuest(a => { a.nop(); a.hlt(); });
        g.Run();
        int invalidations = 0;
        g.Cpu.TranslatedCodeInvalidated += () => invalidations++;
        g.SetProcControl(ProcControls.RdtscExiting, true);
        g.Vmx.Hardware.Vmresume();
        Assert.Equal(1, invalidations);
        g.SetProcControl(ProcControls.InterruptWindowExiting, true);               // does not change which instructions exit
        g.Vmx.Hardware.Vmresume();
        Assert.Equal(1, invalidations);
    }
}
