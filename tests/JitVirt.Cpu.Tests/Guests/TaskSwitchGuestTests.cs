using Iced.Intel;
using JitVirt.Cpu.Execution;
using Xunit;
using static Iced.Intel.AssemblerRegisters;
using static JitVirt.Cpu.Tests.Guests.GuestBuilder;

namespace JitVirt.Cpu.Tests.Guests;

/// <summary>
/// A 32-bit guest with two tasks (SDM vol.3 §9.3, Table 9-2): task A JMPs to task B, B CALLs back
/// to A through a task gate, A returns to B with IRET (NT = 1). Each task checks what the
/// switch must have done: the outgoing state saved in the old TSS (EIP of the next instruction,
/// general registers), TR, the busy bits of both TSS descriptors, NT, the back link, CR0.TS.
/// </summary>
public class TaskSwitchGuestTests
{
    const ulong Gdt = 0x1000, Idt = 0x2000, TssA = 0x3000, TssB = 0x3100, GdtrImage = 0x0F00, IdtrImage = 0x0F10;
    const ulong ExpectedEipA = 0x4000;
    const uint MainA = 0x8000, TaskB = 0x8800, Stray = 0x9800;
    const ushort SelA = 0x18, SelB = 0x20, GateA = 0x28;
    const int Nt = 0x4000;

    [Fact]
    public void JmpCallThroughTaskGateAndIretSwitchTasks()
    {
        using var g = new GuestBuilder();
        g.WriteQwords(Gdt,
            0,
            0x00CF_9A00_0000_FFFF,   // 0x08 code
            0x00CF_9200_0000_FFFF,   // 0x10 data
            Tss32((uint)TssA, 0x67), // 0x18 task A
            Tss32((uint)TssB, 0x67), // 0x20 task B
            TaskGate(SelA));         // 0x28 task gate → A
        g.WriteDescriptorTableRegister(GdtrImage, 6 * 8 - 1, (uint)Gdt);
        for (uint v = 0; v < 32; v++) g.WriteQwords(Idt + v * 8, Gate32(0x08, Stray));
        g.WriteDescriptorTableRegister(IdtrImage, 32 * 8 - 1, (uint)Idt);
        // TSS B (SDM vol.3 §9.2.1, Figure 9-2): EIP, EFLAGS, ESP, segment selectors, I/O map base.
        g.WriteDwords(TssB + 0x20, TaskB, 2);
        g.WriteDwords(TssB + 0x38, 0x6800);
        g.WriteDwords(TssB + 0x48, 0x10, 0x08, 0x10, 0x10, 0x10, 0x10, 0);
        g.WriteDwords(TssB + 0x64, 0x68u << 16);

        static void Busy(Assembler a, ushort selector, byte expected) => a.cmp(__byte_ptr[Gdt + selector + 5], expected);

        g.EnterProtectedMode(GdtrImage, IdtrImage, 0x08, MainA);
        Label resumeA = default;
        var labels = g.CodeWithLabels(32, MainA, a =>
        {
            resumeA = a.CreateLabel();
            a.mov(ax, 0x10);
            a.mov(ds, ax);
            a.mov(es, ax);
            a.mov(ss, ax);
            a.mov(esp, 0x7000);
            a.mov(ax, SelA);
            a.ltr(ax);
            a.mov(ebx, 0x1111_1111);
            a.mov(esi, 0x2222_2222);
            a.jmp(SelB, 0);                     // JMP to a TSS: switch to B
            a.Label(ref resumeA);
            // Back in A through the task gate (B's CALL).
            Expect(a, "A's registers reloaded", () => { a.cmp(ebx, 0x1111_1111); a.jne(a.@F); a.cmp(esi, 0x2222_2222); a.AnonymousLabel(); });
            Expect(a, "call through task gate: TR = A", () => { a.str(ax); a.cmp(ax, SelA); });
            Expect(a, "call sets NT in A", () => { a.pushfd(); a.pop(eax); a.and(eax, Nt); a.cmp(eax, Nt); });
            Expect(a, "call writes back link = B", () => { a.movzx(eax, __word_ptr[TssA]); a.cmp(eax, SelB); });
            Expect(a, "call leaves A and B busy", () => { Busy(a, SelA, 0x8B); a.jne(a.@F); Busy(a, SelB, 0x8B); a.AnonymousLabel(); });
            a.iretd();                          // NT = 1: return to B
        });
        g.WriteDwords(ExpectedEipA, labels(resumeA));
        g.Code(32, TaskB, a =>
        {
            Expect(a, "jmp to B: TR = B", () => { a.str(ax); a.cmp(ax, SelB); });
            Expect(a, "A's EIP saved", () => { a.mov(eax, __dword_ptr[TssA + 0x20]); a.cmp(eax, __dword_ptr[ExpectedEipA]); });
            Expect(a, "A's registers saved", () =>
            {
                a.cmp(__dword_ptr[TssA + 0x28 + 3 * 4], 0x1111_1111); // EBX
                a.jne(a.@F);
                a.cmp(__dword_ptr[TssA + 0x28 + 6 * 4], 0x2222_2222); // ESI
                a.AnonymousLabel();
            });
            Expect(a, "jmp clears A busy, sets B busy", () => { Busy(a, SelA, 0x89); a.jne(a.@F); Busy(a, SelB, 0x8B); a.AnonymousLabel(); });
            Expect(a, "jmp leaves NT clear", () => { a.pushfd(); a.pop(eax); a.test(eax, Nt); });
            Expect(a, "task switch sets CR0.TS", () => { a.mov(eax, cr0); a.and(eax, 8); a.cmp(eax, 8); });
            a.call(GateA, 0);                   // CALL through the task gate: switch to A, nested
            Expect(a, "iret back to B: TR = B", () => { a.str(ax); a.cmp(ax, SelB); });
            Expect(a, "iret clears A busy, B stays busy", () => { Busy(a, SelA, 0x89); a.jne(a.@F); Busy(a, SelB, 0x8B); a.AnonymousLabel(); });
            Expect(a, "iret clears NT in A's saved EFLAGS", () => a.test(__dword_ptr[TssA + 0x24], Nt));
            Exit(a, 0);
        });
        g.Code(32, Stray, a =>
        {
            Print(a, "FAIL unexpected exception\n");
            Exit(a, 1);
        });

        var (stop, exit) = g.Run();
        Assert.Equal(
            "PASS jmp to B: TR = B\n" +
            "PASS A's EIP saved\n" +
            "PASS A's registers saved\n" +
            "PASS jmp clears A busy, sets B busy\n" +
            "PASS jmp leaves NT clear\n" +
            "PASS task switch sets CR0.TS\n" +
            "PASS A's registers reloaded\n" +
            "PASS call through task gate: TR = A\n" +
            "PASS call sets NT in A\n" +
            "PASS call writes back link = B\n" +
            "PASS call leaves A and B busy\n" +
            "PASS iret back to B: TR = B\n" +
            "PASS iret clears A busy, B stays busy\n" +
            "PASS iret clears NT in A's saved EFLAGS\n", g.Console);
        Assert.Equal(StopReason.Halted, stop);
        Assert.Equal(0u, exit);
    }
}
