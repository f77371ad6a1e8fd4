using Iced.Intel;
using JitVirt.Cpu.Execution;
using Xunit;
using static Iced.Intel.AssemblerRegisters;
using static JitVirt.Cpu.Tests.Guests.GuestBuilder;

namespace JitVirt.Cpu.Tests.Guests;

/// <summary>
/// A ring-0 virtual-8086 monitor (SDM vol.3 ch.20) that enters V86 mode with IRET (EFLAGS.VM = 1,
/// IOPL 3) and runs 8086 code which:
/// <list type="bullet">
/// <item>at IOPL 3 runs CLI, STI, PUSHF, POPF freely and reaches ring 0 through INT n, where the
/// handler checks the V86 frame (GS FS DS ES SS ESP EFLAGS CS EIP, §20.3.1.1, Figure 7-5) and the
/// nulled data segments, then returns with IOPL 0;</item>
/// <item>at IOPL 0 raises #GP(0) to the monitor on each IOPL-sensitive instruction, the saved
/// EIP pointing at it (§20.2.7); the monitor steps over it;</item>
/// <item>does I/O through the TSS I/O permission bitmap whatever the IOPL (§20.2.8.1): allowed
/// ports work, a denied port is #GP(0).</item>
/// </list>
/// </summary>
public class Virtual8086GuestTests
{
    const ulong Gdt = 0x1000, Idt = 0x2000, Tss = 0x3000, GdtrImage = 0x0F00, IdtrImage = 0x0F10;
    const ulong CaseIndex = 0x4000, CaseTable = 0x4100, Names = 0x5000;
    const uint Monitor = 0x8000, V86Code = 0x9000, GpHandler = 0xA000, IntHandler = 0xB000, Stray = 0xE000, Ring0Stack = 0x6000;
    const ushort V86Cs = 0x0900, V86Ss = 0x0700, V86Sp = 0x0F00, V86Ds = 0x0100, V86Es = 0x0200, V86Fs = 0x0300, V86Gs = 0x0400;
    const uint IoMapBase = 0x68, TssLimit = IoMapBase + 32; // ports 0-0xFF, then the 0xFF terminator byte
    const int Vm = 0x2_0000, Iopl3 = 0x3000;

    sealed record GpCase(string Name, Label At, int Length);

    [Fact]
    public void V86CodeRunsUnderIoplAndIoBitmapRules()
    {
        using var g = new GuestBuilder();
        g.WriteQwords(Gdt,
            0,
            0x00CF_9A00_0000_FFFF,       // 0x08 code
            0x00CF_9200_0000_FFFF,       // 0x10 data
            Tss32((uint)Tss, TssLimit)); // 0x18 TSS with I/O bitmap
        g.WriteDescriptorTableRegister(GdtrImage, 4 * 8 - 1, (uint)Gdt);
        for (uint v = 0; v < 32; v++) g.WriteQwords(Idt + v * 8, Gate32(0x08, v == 13 ? GpHandler : Stray));
        g.WriteQwords(Idt + 0x30 * 8, Gate32(0x08, IntHandler, dpl: 3));
        g.WriteDescriptorTableRegister(IdtrImage, 0x100 * 8 - 1, (uint)Idt);
        g.WriteDwords(Tss + 4, Ring0Stack, 0x10);
        g.WriteDwords(Tss + 0x64, IoMapBase << 16);
        // I/O permission bitmap: every port denied but 0x80 and the console 0xE9.
        var bitmap = new byte[33];
        Array.Fill(bitmap, (byte)0xFF);
        bitmap[0x80 >> 3] &= unchecked((byte)~(1 << (0x80 & 7)));
        bitmap[0xE9 >> 3] &= unchecked((byte)~(1 << (0xE9 & 7)));
        g.Machine.Memory.WriteBytes(Tss + IoMapBase, bitmap);

        g.EnterProtectedMode(GdtrImage, IdtrImage, 0x08, Monitor);
        g.Code(32, Monitor, a =>
        {
            a.mov(ax, 0x10);
            a.mov(ds, ax);
            a.mov(es, ax);
            a.mov(ss, ax);
            a.mov(esp, Ring0Stack);
            a.mov(ax, 0x18);
            a.ltr(ax);
            a.mov(__dword_ptr[CaseIndex], 0);
            Print(a, "monitor\n");
            // IRET to V86 mode pops EIP CS EFLAGS ESP SS ES DS FS GS (SDM vol.2 IRET, RETURN-TO-VIRTUAL-8086-MODE).
            a.push((int)V86Gs);
            a.push((int)V86Fs);
            a.push((int)V86Ds);
            a.push((int)V86Es);
            a.push((int)V86Ss);
            a.push((int)V86Sp);
            a.push(Vm | Iopl3 | 2);
            a.push((int)V86Cs);
            a.push(0);
            a.iretd();
        });
        var cases = new List<GpCase>();
        void Sensitive(Assembler a, string name, int length, Action emit)
        {
            var at = a.CreateLabel();
            a.Label(ref at);
            emit();
            cases.Add(new GpCase(name, at, length));
        }
        var labels = g.CodeWithLabels(16, V86Code, a =>
        {
            a.cli();
            a.sti();
            a.pushf();
            a.popf();
            Print(a, "PASS cli sti pushf popf at iopl 3\n");
            a.@out(0x80, al);
            Print(a, "PASS allowed port at iopl 3\n");
            Sensitive(a, "#GP(0) denied port at iopl 3", 2, () => a.@out(0x81, al));
            a.@int(0x30);                 // to ring 0; the handler lowers IOPL to 0 and returns to the CLI below
            Sensitive(a, "#GP(0) cli at iopl 0", 1, () => a.cli());
            Sensitive(a, "#GP(0) sti at iopl 0", 1, () => a.sti());
            Sensitive(a, "#GP(0) pushf at iopl 0", 1, () => a.pushf());
            Sensitive(a, "#GP(0) popf at iopl 0", 1, () => a.popf());
            Sensitive(a, "#GP(0) int 0x30 at iopl 0", 2, () => a.@int(0x30));
            a.@out(0x80, al);
            Print(a, "PASS allowed port at iopl 0\n");
            Sensitive(a, "#GP(0) denied port at iopl 0", 2, () => a.@out(0x81, al));
            Sensitive(a, "#GP(0) hlt", 0, () => a.hlt()); // length 0: the monitor ends the run
        });
        uint afterInt = labels(cases[1].At) - V86Code;
        g.Code(32, IntHandler, a =>
        {
            // The frame is on SS0:ESP0; DS, ES, FS, GS were nulled, so only SS-relative accesses here.
            Expect(a, "int from v86 switches to esp0", () => a.cmp(esp, Ring0Stack - 36));
            Expect(a, "v86 frame eip", () => a.cmp(__dword_ptr[esp], (int)afterInt));
            Expect(a, "v86 frame cs", () => a.cmp(__dword_ptr[esp + 4], (int)V86Cs));
            Expect(a, "v86 frame eflags.vm", () => { a.mov(eax, __dword_ptr[esp + 8]); a.and(eax, Vm); a.cmp(eax, Vm); });
            Expect(a, "v86 frame esp", () => a.cmp(__dword_ptr[esp + 12], (int)V86Sp));
            Expect(a, "v86 frame ss", () => a.cmp(__dword_ptr[esp + 16], (int)V86Ss));
            Expect(a, "v86 frame es", () => a.cmp(__dword_ptr[esp + 20], (int)V86Es));
            Expect(a, "v86 frame ds", () => a.cmp(__dword_ptr[esp + 24], (int)V86Ds));
            Expect(a, "v86 frame fs", () => a.cmp(__dword_ptr[esp + 28], (int)V86Fs));
            Expect(a, "v86 frame gs", () => a.cmp(__dword_ptr[esp + 32], (int)V86Gs));
            Expect(a, "ds es fs gs null in the handler", () =>
            {
                a.mov(ax, ds);
                a.mov(bx, es);
                a.or(ax, bx);
                a.mov(bx, fs);
                a.or(ax, bx);
                a.mov(bx, gs);
                a.or(ax, bx);
            });
            a.and(__dword_ptr[esp + 8], ~Iopl3);
            a.iretd();
        });
        g.Code(32, GpHandler, a =>
        {
            var fail = a.CreateLabel();
            var finish = a.CreateLabel();
            a.pushad();
            a.mov(ax, 0x10);
            a.mov(ds, ax);
            a.mov(ebx, __dword_ptr[CaseIndex]);
            a.shl(ebx, 4);
            a.add(ebx, (int)CaseTable);
            a.inc(__dword_ptr[CaseIndex]);
            a.cmp(__dword_ptr[esp + 32], 0);       // error code
            a.jne(fail);
            a.mov(eax, __dword_ptr[esp + 36]);     // saved EIP: the sensitive instruction
            a.cmp(eax, __dword_ptr[ebx]);
            a.jne(fail);
            a.cmp(__dword_ptr[esp + 40], (int)V86Cs);
            a.jne(fail);
            a.mov(eax, __dword_ptr[esp + 44]);     // still a V86 frame
            a.and(eax, Vm);
            a.jz(fail);
            Print(a, "PASS ");
            a.mov(esi, __dword_ptr[ebx + 8]);
            PrintAsciiz(a);
            Print(a, "\n");
            a.mov(eax, __dword_ptr[ebx + 4]);
            a.test(eax, eax);
            a.jz(finish);
            a.add(__dword_ptr[esp + 36], eax);     // step over it
            a.popad();
            a.add(esp, 4);
            a.iretd();
            a.Label(ref finish);
            Exit(a, 0);
            a.Label(ref fail);
            Print(a, "FAIL ");
            a.mov(esi, __dword_ptr[ebx + 8]);
            PrintAsciiz(a);
            Print(a, "\n");
            Exit(a, 1);
        });
        g.Code(32, Stray, a =>
        {
            Print(a, "FAIL unexpected exception\n");
            Exit(a, 1);
        });
        for (int i = 0; i < cases.Count; i++)
        {
            ulong nameAddress = Names + (ulong)i * 64;
            g.WriteString(nameAddress, cases[i].Name);
            g.WriteDwords(CaseTable + (ulong)i * 16, labels(cases[i].At) - V86Code, (uint)cases[i].Length, (uint)nameAddress);
        }

        var (stop, exit) = g.Run();
        Assert.Equal(
            "monitor\n" +
            "PASS cli sti pushf popf at iopl 3\n" +
            "PASS allowed port at iopl 3\n" +
            "PASS #GP(0) denied port at iopl 3\n" +
            "PASS int from v86 switches to esp0\n" +
            "PASS v86 frame eip\n" +
            "PASS v86 frame cs\n" +
            "PASS v86 frame eflags.vm\n" +
            "PASS v86 frame esp\n" +
            "PASS v86 frame ss\n" +
            "PASS v86 frame es\n" +
            "PASS v86 frame ds\n" +
            "PASS v86 frame fs\n" +
            "PASS v86 frame gs\n" +
            "PASS ds es fs gs null in the handler\n" +
            "PASS #GP(0) cli at iopl 0\n" +
            "PASS #GP(0) sti at iopl 0\n" +
            "PASS #GP(0) pushf at iopl 0\n" +
            "PASS #GP(0) popf at iopl 0\n" +
            "PASS #GP(0) int 0x30 at iopl 0\n" +
            "PASS allowed port at iopl 0\n" +
            "PASS #GP(0) denied port at iopl 0\n" +
            "PASS #GP(0) hlt\n", g.Console);
        Assert.Equal(StopReason.Halted, stop);
        Assert.Equal(0u, exit);
    }
}
