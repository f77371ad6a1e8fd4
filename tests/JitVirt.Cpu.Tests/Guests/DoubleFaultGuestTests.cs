using Iced.Intel;
using JitVirt.Cpu.Execution;
using Xunit;
using static Iced.Intel.AssemblerRegisters;
using static JitVirt.Cpu.Tests.Guests.GuestBuilder;

namespace JitVirt.Cpu.Tests.Guests;

/// <summary>
/// A 32-bit protected-mode guest that provokes the two double-fault combinations of SDM vol.3
/// §7.15 (Interrupt 8, Table 7-5) and checks what the #DF handler receives: an error code of 0
/// pushed after EFLAGS, CS and EIP on the current stack (the saved CS:EIP are undefined for #DF,
/// so they are not checked).
/// <list type="bullet">
/// <item>contributory then contributory: a #GP whose IDT gate is not present raises #NP while
/// being delivered;</item>
/// <item>page fault then page fault: the IDT straddles a page boundary so that the #PF gate lies
/// on a not-present page; delivering a #PF raises a second #PF reading its own gate.</item>
/// </list>
/// </summary>
public class DoubleFaultGuestTests
{
    const ulong Gdt = 0x1000, Idt = 0x2000, GdtrImage = 0x0F00, IdtrImage = 0x0F10, Idtr2Image = 0x0F20, Phase = 0x4000;
    const uint Main = 0x8000, PartB = 0x8800, DfHandler = 0x9000, StrayHandler = 0x9800, StackTop = 0x7000;
    const ulong PageDirectory = 0x10000, PageTable = 0x11000;
    // The second IDT: vectors 0-13 end at the page boundary 0x1F000, vector 14 starts on the next page.
    const uint Idt2 = 0x1F000 - 14 * 8, NotPresentPage = 0x1F000;

    [Fact]
    public void ContributoryAndPageFaultPairsEscalateToDoubleFault()
    {
        using var g = new GuestBuilder();
        g.WriteQwords(Gdt, 0, 0x00CF_9A00_0000_FFFF, 0x00CF_9200_0000_FFFF);
        g.WriteDescriptorTableRegister(GdtrImage, 3 * 8 - 1, (uint)Gdt);
        // IDT 1: #DF → handler; #GP gate present bit clear.
        g.WriteQwords(Idt + 8 * 8, Gate32(0x08, DfHandler));
        g.WriteQwords(Idt + 13 * 8, Gate32(0x08, StrayHandler, present: false));
        g.WriteDescriptorTableRegister(IdtrImage, 0x20 * 8 - 1, (uint)Idt);
        // IDT 2: #DF → handler; a valid #PF gate, but on a page the guest leaves unmapped.
        g.WriteQwords(Idt2 + 8 * 8, Gate32(0x08, DfHandler));
        g.WriteQwords(Idt2 + 14 * 8, Gate32(0x08, StrayHandler));
        g.WriteDescriptorTableRegister(Idtr2Image, 0x20 * 8 - 1, Idt2);
        // 32-bit paging (SDM vol.3 §5.3): identity map 0-4 MiB with 4-KiB pages, except the page
        // holding the #PF gate; 4 MiB and up is not present.
        var pt = new uint[1024];
        for (uint i = 0; i < pt.Length; i++) pt[i] = (i << 12) | 3;
        pt[NotPresentPage >> 12] = 0;
        g.WriteDwords(PageTable, pt);
        g.WriteDwords(PageDirectory, (uint)PageTable | 3);

        g.EnterProtectedMode(GdtrImage, IdtrImage, 0x08, Main);
        g.Code(32, Main, a =>
        {
            a.mov(ax, 0x10);
            a.mov(ds, ax);
            a.mov(es, ax);
            a.mov(ss, ax);
            a.mov(esp, StackTop);
            a.mov(__dword_ptr[Phase], 0);
            // #GP(0x40): a selector beyond the GDT limit; its gate is not present → #NP → #DF.
            a.mov(ax, 0x40);
            a.mov(ds, ax);
            Print(a, "FAIL no fault\n");
            Exit(a, 1);
        });
        g.Code(32, PartB, a =>
        {
            a.lidt(__[(uint)Idtr2Image]);
            a.mov(eax, (uint)PageDirectory);
            a.mov(cr3, eax);
            a.mov(eax, cr0);
            a.or(eax, unchecked((int)0x8000_0000));
            a.mov(cr0, eax);
            a.mov(__dword_ptr[Phase], 1);
            // #PF reading a not-present page; delivering it reads the #PF gate → #PF → #DF.
            a.mov(eax, __dword_ptr[0x50_0000]);
            Print(a, "FAIL no fault\n");
            Exit(a, 1);
        });
        g.Code(32, DfHandler, a =>
        {
            var fail = a.CreateLabel();
            var second = a.CreateLabel();
            // Error code, EIP, CS, EFLAGS on the (unchanged, same-privilege) stack.
            a.cmp(esp, StackTop - 16);
            a.jne(fail);
            a.cmp(__dword_ptr[esp], 0);
            a.jne(fail);
            a.cmp(__dword_ptr[Phase], 0);
            a.jne(second);
            Print(a, "PASS #DF after #NP delivering #GP\n");
            a.mov(esp, StackTop);
            a.jmp(PartB);
            a.Label(ref second);
            Print(a, "PASS #DF after #PF delivering #PF\n");
            Exit(a, 0);
            a.Label(ref fail);
            Print(a, "FAIL #DF frame\n");
            Exit(a, 1);
        });
        g.Code(32, StrayHandler, a =>
        {
            Print(a, "FAIL delivered without #DF\n");
            Exit(a, 1);
        });

        var (stop, exit) = g.Run();
        Assert.Equal("PASS #DF after #NP delivering #GP\nPASS #DF after #PF delivering #PF\n", g.Console);
        Assert.Equal(StopReason.Halted, stop);
        Assert.Equal(0u, exit);
    }
}
