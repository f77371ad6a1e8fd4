using Iced.Intel;
using JitVirt.Cpu;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;
using JitVirt.Svm.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Svm.Tests;

/// <summary>
/// Interrupts under SVM: a PIC/APIC request takes an INTR exit (0x60) and is injected through
/// EVENTINJ when the guest can take it; with RFLAGS.IF = 0 the VMM asks for the window with V_IRQ
/// and the VINTR intercept (0x64) and takes no further INTR exits; STI's interrupt shadow delays the
/// window by one instruction (AMD APM vol.2 §15.21; SDM vol.3 §7.8.3). The guests are real-mode
/// programs whose IVT handler records where it interrupted them.
/// </summary>
public class InterruptTests
{
    const byte Vector = 0x20;
    const byte Raise = 0x80, RaiseNmi = 0x81;
    const ulong ReturnIpSlot = 0x600, HandlerRuns = 0x602;

    /// <summary>A guest whose handler for <see cref="Vector"/> (and NMI) stores its return IP and counts its runs; OUT 80h raises the IRQ, OUT 81h the NMI.</summary>
    static SvmGuest Guest(Action<Assembler> main, TestInterruptSource source, out Label handler)
    {
        Label h = default;
        var g = new SvmGuest(16, a =>
        {
            h = a.CreateLabel();
            main(a);
            a.Label(ref h);
            a.push(bp);
            a.mov(bp, sp);
            a.push(ax);
            a.mov(ax, __word_ptr[bp + 2]);
            a.mov(__word_ptr[ReturnIpSlot], ax);
            a.inc(__word_ptr[HandlerRuns]);
            a.pop(ax);
            a.pop(bp);
            a.iret();
        });
        handler = h;
        ushort ip = (ushort)g.Rip(h);
        byte[] entry = [(byte)ip, (byte)(ip >> 8), 0x00, 0x10];
        g.Memory.WriteBytes(Vector * 4, entry);
        g.Memory.WriteBytes(2 * 4, entry);
        g.Cpu.Interrupts = source;
        // The device ports are not intercepted: the request arrives while the guest runs.
        g.Svm.Iopm.Set(Raise, false);
        g.Svm.Iopm.Set(RaiseNmi, false);
        g.Ports.OnOut = (port, _) =>
        {
            if (port == Raise) source.Pending = Vector;
            else if (port == RaiseNmi) source.HasPendingNmi = true;
            else return;
            g.Cpu.Pending |= PendingEvent.InterruptCheck; // the line changed (as the machine's IRQ lines do)
        };
        return g;
    }

    static ushort Word(SvmGuest g, ulong address) => (ushort)g.Memory.Read(address, 2);

    [Fact]
    public void AnInterruptWithTheWindowOpenIsAnIntrExitThenAnInjection()
    {
        var src = new TestInterruptSource();
        Label after = default;
        using var g = Guest(a =>
        {
            after = a.CreateLabel();
            a.sti();
            a.nop();
            a.@out(Raise, al);
            a.Label(ref after);
            a.nop();
            a.hlt();
        }, src, out _);
        Assert.Equal(StopReason.Halted, g.Run());
        var intr = g.Single(0x60);
        Assert.Equal((0ul, 0ul, 0u, g.Rip(after)), (intr.Info1, intr.Info2, intr.IntInfo, intr.Rip));
        Assert.Empty(g.ExitsWith(0x64));
        Assert.Equal(1, src.Acknowledged);
        Assert.Equal(1, Word(g, HandlerRuns));
        Assert.Equal(g.Rip(after), Word(g, ReturnIpSlot)); // injected before the instruction at the exit's RIP
    }

    [Fact]
    public void WithIfClearTheVmmWaitsForTheWindowWithVintrAndNoExitStorm()
    {
        var src = new TestInterruptSource();
        Label first = default, shadowed = default, window = default;
        using var g = Guest(a =>
        {
            first = a.CreateLabel(); shadowed = a.CreateLabel(); window = a.CreateLabel();
            a.cli();
            a.@out(Raise, al);
            a.Label(ref first);
            a.mov(cx, 50);
            var loop = a.CreateLabel();
            a.Label(ref loop);
            a.loop(loop);       // 50 instructions with IF = 0 and the request pending
            a.sti();
            a.Label(ref shadowed);
            a.nop();            // in STI's interrupt shadow
            a.Label(ref window);
            a.nop();
            a.hlt();
        }, src, out _);
        Assert.Equal(StopReason.Halted, g.Run());
        var intr = g.Single(0x60); // exactly one INTR exit: V_IRQ is set from then on
        Assert.Equal(g.Rip(first), intr.Rip);
        var vintr = g.Single(0x64);
        Assert.Equal(g.Rip(window), vintr.Rip); // after the shadowed instruction
        Assert.Equal(1, src.Acknowledged);
        Assert.Equal(1, Word(g, HandlerRuns));
        Assert.Equal(g.Rip(window), Word(g, ReturnIpSlot));
        // Read back from the VMCB bytes (APM vol.2 Table B-1): V_IRQ is bit 8 of offset 0x60, the VINTR intercept bit 4 of 0x0C.
        var page = g.Svm.Vmcb.Bytes;
        Assert.Equal(0u, System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(page[0x060..]) & (1u << 8));
        Assert.Equal(0u, System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(page[0x00C..]) & (1u << 4));
        Assert.Equal(1, g.Svm.Exits.Snapshot().Single(r => r.Name == "vintr").Count);
    }

    [Fact]
    public void AnNmiIsAnNmiExitThenAnInjectionThroughVector2()
    {
        var src = new TestInterruptSource();
        Label after = default;
        using var g = Guest(a =>
        {
            after = a.CreateLabel();
            a.cli(); // NMIs ignore IF
            a.@out(RaiseNmi, al);
            a.Label(ref after);
            a.nop();
            a.hlt();
        }, src, out _);
        Assert.Equal(StopReason.Halted, g.Run());
        Assert.Equal(g.Rip(after), g.Single(0x61).Rip);
        Assert.Equal(1, Word(g, HandlerRuns));
        Assert.Equal(g.Rip(after), Word(g, ReturnIpSlot));
    }

    [Fact]
    public void HltGoesToTheMachineAndTheNextRunInjectsWhenAnInterruptArrived()
    {
        var src = new TestInterruptSource();
        Label hlt = default, after = default;
        using var g = Guest(a =>
        {
            hlt = a.CreateLabel(); after = a.CreateLabel();
            a.sti();
            a.Label(ref hlt);
            a.hlt();
            a.Label(ref after);
            a.mov(bx, 0x5555);
            a.hlt();
        }, src, out _);
        Assert.Equal(StopReason.Halted, g.Run());
        Assert.Equal(g.Rip(hlt), g.Single(0x78).Rip);
        Assert.Equal(StopReason.Halted, g.Run()); // nothing arrived: still halted, no guest code ran
        Assert.Equal(0, Word(g, HandlerRuns));
        src.Pending = Vector; // the machine's timer fired
        Assert.Equal(StopReason.Halted, g.Run());
        Assert.Equal(1, Word(g, HandlerRuns));
        Assert.Equal(g.Rip(after), Word(g, ReturnIpSlot)); // the interrupt came in after the HLT
        Assert.Equal(0x5555ul, g.Cpu.Gpr[Gpr.Rbx] & 0xFFFF);
    }

    [Fact]
    public void EventInjShowsUpInExitIntInfoWhenItsDeliveryFaults()
    {
        var src = new TestInterruptSource();
        using var g = new SvmGuest(32, a =>
        {
            a.sti();
            a.@out(Raise, al);
            a.nop();
            a.hlt();
        }, setup: s =>
        {
            // A protected-mode IDT that ends below vector 0x20: delivering it is #GP(0x20 × 8 + IDT 2 + EXT 1).
            s.Cpu.Idtr = new DescriptorTableRegister { Base = 0x2000, Limit = Vector * 8 - 1 };
            s.Cpu.Interrupts = src;
        });
        g.Svm.Iopm.Set(Raise, false);
        g.Ports.OnOut = (port, _) => { src.Pending = Vector; g.Cpu.Pending |= PendingEvent.InterruptCheck; };
        g.Svm.Vmcb.InterceptExceptions |= 1u << 13;
        g.Run();
        var gp = g.ExitsWith(0x4D).First();
        Assert.Equal((ulong)Vector * 8 + 2 + 1, gp.Info1);
        Assert.Equal(0x8000_0000u | 0u << 8 | Vector, gp.IntInfo); // V | type 0 (external interrupt) | vector
    }
}
