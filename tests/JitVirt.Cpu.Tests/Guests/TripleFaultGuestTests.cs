using Iced.Intel;
using JitVirt.Cpu.Execution;
using Xunit;
using static Iced.Intel.AssemblerRegisters;
using static JitVirt.Cpu.Tests.Guests.GuestBuilder;

namespace JitVirt.Cpu.Tests.Guests;

/// <summary>
/// Guests that triple-fault: "If another exception occurs while attempting to call the
/// double-fault handler, the processor enters shutdown mode" (SDM vol.3 §7.15, Interrupt 8).
/// The host must see <see cref="StopReason.Shutdown"/>, with what the guest printed before.
/// </summary>
public class TripleFaultGuestTests
{
    const ulong Gdt = 0x1000, Idt = 0x2000, GdtrImage = 0x0F00, IdtrImage = 0x0F10;
    const uint Main = 0x8000, Handler = 0x9000;

    [Fact]
    public void DoubleFaultWithNotPresentGateShutsDown()
    {
        using var g = new GuestBuilder();
        g.WriteQwords(Gdt, 0, 0x00CF_9A00_0000_FFFF, 0x00CF_9200_0000_FFFF);
        g.WriteDescriptorTableRegister(GdtrImage, 3 * 8 - 1, (uint)Gdt);
        // #GP and #DF gates both not present: #GP → #NP (contributory pair) → #DF → #NP → shutdown.
        // #NP itself has a valid gate, to show it is never delivered.
        g.WriteQwords(Idt + 8 * 8, Gate32(0x08, Handler, present: false));
        g.WriteQwords(Idt + 11 * 8, Gate32(0x08, Handler));
        g.WriteQwords(Idt + 13 * 8, Gate32(0x08, Handler, present: false));
        g.WriteDescriptorTableRegister(IdtrImage, 0x20 * 8 - 1, (uint)Idt);

        g.EnterProtectedMode(GdtrImage, IdtrImage, 0x08, Main);
        g.Code(32, Main, a =>
        {
            a.mov(ax, 0x10);
            a.mov(ds, ax);
            a.mov(ss, ax);
            a.mov(esp, 0x7000);
            Print(a, "before triple fault\n");
            a.mov(ax, 0x40);       // beyond the GDT limit: #GP(0x40)
            a.mov(ds, ax);
            Print(a, "FAIL no fault\n");
            Exit(a, 1);
        });
        g.Code(32, Handler, a =>
        {
            Print(a, "FAIL handler ran\n");
            Exit(a, 1);
        });

        var (stop, exit) = g.Run();
        Assert.Equal("before triple fault\n", g.Console);
        Assert.Equal(StopReason.Shutdown, stop);
        Assert.Null(exit);
    }

    [Fact]
    public void RealModeInterruptWithEmptyIvtShutsDown()
    {
        // The classic reboot: LIDT with limit 0 in real mode, then INT 3. The vector lies beyond the
        // IVT limit → #GP, whose vector is beyond it too → #DF, likewise → shutdown (SDM vol.3 §20.1.4).
        using var g = new GuestBuilder();
        g.WriteDescriptorTableRegister(IdtrImage, 0, 0);
        g.Code(16, 0x7C00, a =>
        {
            a.xor(ax, ax);
            a.mov(ds, ax);
            Print(a, "real\n");
            a.lidt(__[(ushort)IdtrImage]);
            a.int3();
            Print(a, "FAIL no fault\n");
            Exit(a, 1);
        });

        var (stop, exit) = g.Run();
        Assert.Equal("real\n", g.Console);
        Assert.Equal(StopReason.Shutdown, stop);
        Assert.Null(exit);
    }
}
