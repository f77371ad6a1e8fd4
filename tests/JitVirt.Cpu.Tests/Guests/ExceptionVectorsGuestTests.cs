using Iced.Intel;
using JitVirt.Cpu.Execution;
using Xunit;
using static Iced.Intel.AssemblerRegisters;
using static JitVirt.Cpu.Tests.Guests.GuestBuilder;

namespace JitVirt.Cpu.Tests.Guests;

/// <summary>
/// A 32-bit protected-mode guest that raises, one after another, every exception vector that can
/// be raised without SSE, and checks in its IDT handlers the vector, the error code
/// (when the vector has one), and the saved CS:EIP: the faulting instruction for faults, the next
/// one for traps. Expected values follow the per-vector pages of SDM vol.3 §7.15; the addresses
/// come from Iced labels, written by the builder into a case table the handler reads.
/// #DF and #PF have guests of their own (<see cref="DoubleFaultGuestTests"/>,
/// <see cref="PageFaultGuestTests"/>), and #AC, which needs CPL 3, too (<see cref="AlignmentCheckGuestTests"/>).
/// </summary>
public class ExceptionVectorsGuestTests
{
    const ulong Gdt = 0x1000, Idt = 0x2000, Tss = 0x3000, GdtrImage = 0x0F00, IdtrImage = 0x0F10;
    const ulong CaseIndex = 0x4000, Failures = 0x4004, Bounds = 0x4010, CaseTable = 0x4100, Names = 0x5000;
    const uint Main = 0x8000, Stubs = 0x9000, Common = 0xA000, StackTop = 0x7000;

    // GDT selectors.
    const ushort Code = 0x08, Data = 0x10, TssSel = 0x18, NotPresent = 0x20, SmallStack = 0x28, ReadOnly = 0x30, BeyondLimit = 0x40;

    sealed record Case(string Name, byte Vector, uint? Error, bool Trap, Label At, Label After);

    [Fact]
    public void EveryVectorIsDeliveredWithItsErrorCodeAndSavedEip()
    {
        using var g = new GuestBuilder();
        g.WriteQwords(Gdt,
            0,
            0x00CF_9A00_0000_FFFF,                 // 0x08 code
            0x00CF_9200_0000_FFFF,                 // 0x10 data
            Tss32((uint)Tss, 0x67),                // 0x18 TSS
            Segment(0, 0xFFFFF, 0x12, 0xC),        // 0x20 writable data, not present
            Segment(0, 0xFFFF, 0x92, 0x4),         // 0x28 writable data, limit 64 KiB - 1, B = 1
            Segment(0, 0xFFFFF, 0x90, 0xC));       // 0x30 read-only data
        g.WriteDescriptorTableRegister(GdtrImage, 7 * 8 - 1, (uint)Gdt);
        // Vector v → stub v (push v; jmp Common), 32-bit interrupt gates.
        for (uint v = 0; v < 32; v++)
        {
            g.WriteQwords(Idt + v * 8, Gate32(Code, Stubs + v * 16));
            uint vector = v;
            g.Code(32, Stubs + v * 16, a =>
            {
                a.push((int)vector);
                a.jmp(Common);
            });
        }
        g.WriteDescriptorTableRegister(IdtrImage, 32 * 8 - 1, (uint)Idt);
        g.WriteDwords(Bounds, 0, 3);

        var cases = new List<Case>();
        void Check(Assembler a, string name, byte vector, uint? error, bool trap, Action setup, Action trigger)
        {
            var at = a.CreateLabel();
            var after = a.CreateLabel();
            a.mov(__dword_ptr[CaseIndex], cases.Count);
            setup();
            a.Label(ref at);
            trigger();
            a.Label(ref after);
            cases.Add(new Case(name, vector, error, trap, at, after));
        }

        g.EnterProtectedMode(GdtrImage, IdtrImage, Code, Main);
        var labels = g.CodeWithLabels(32, Main, a =>
        {
            a.mov(ax, Data);
            a.mov(ds, ax);
            a.mov(es, ax);
            a.mov(ss, ax);
            a.mov(esp, StackTop);
            a.mov(ax, TssSel);
            a.ltr(ax);
            a.mov(__dword_ptr[Failures], 0);

            Check(a, "#DE div by zero", 0, null, false,
                () => { a.xor(edx, edx); a.mov(eax, 1); a.xor(ecx, ecx); },
                () => a.div(ecx));
            // POPFD sets TF; the trap follows the instruction after it (SDM vol.3 §18.3.1.4).
            Check(a, "#DB single step", 1, null, true,
                () => { a.pushfd(); a.or(__dword_ptr[esp], 0x100); a.popfd(); },
                () => a.nop());
            Check(a, "#BP int3", 3, null, true, () => { }, () => a.int3());
            Check(a, "#OF into", 4, null, true,
                () => { a.mov(al, 0x7F); a.add(al, 1); },
                () => a.into());
            Check(a, "#BR bound", 5, null, false,
                () => a.mov(eax, 5),
                () => a.bound(eax, __[Bounds]));
            Check(a, "#UD ud2", 6, null, false, () => { }, () => a.ud2());
            // WAIT with CR0.MP and CR0.TS set: #NM (SDM vol.3 §7.15 "Interrupt 7"); CLTS afterwards.
            Check(a, "#NM wait with ts", 7, null, false,
                () => { a.mov(eax, cr0); a.or(eax, 0xA); a.mov(cr0, eax); },
                () => a.wait());
            a.clts();
            Print(a, "SKIP #DF: see DoubleFaultGuestTests\n");
            // IRET with NT = 1 returns to the task in the back link; a data segment there is #TS(selector).
            Check(a, "#TS iret to bad back link", 10, Data, false,
                () => { a.mov(__word_ptr[Tss], Data); a.pushfd(); a.or(__dword_ptr[esp], 0x4000); a.popfd(); },
                () => a.iretd());
            Check(a, "#NP load ds not present", 11, NotPresent, false,
                () => a.mov(ax, NotPresent),
                () => a.mov(ds, ax));
            Check(a, "#SS load ss not present", 12, NotPresent, false,
                () => a.mov(ax, NotPresent),
                () => a.mov(ss, ax));
            Check(a, "#SS stack limit", 12, 0, false,
                () => { a.mov(ax, SmallStack); a.mov(ss, ax); a.mov(ebp, 0x10000); },
                () => a.mov(eax, __dword_ptr[ebp]));
            Check(a, "#GP write to read-only segment", 13, 0, false,
                () => { a.mov(ax, ReadOnly); a.mov(es, ax); a.xor(edi, edi); },
                () => a.stosd());
            Check(a, "#GP selector beyond gdt limit", 13, BeyondLimit, false,
                () => a.mov(ax, BeyondLimit),
                () => a.mov(ds, ax));
            Print(a, "SKIP #PF: see PageFaultGuestTests\n");
            Print(a, "SKIP #AC: needs CPL 3, see AlignmentCheckGuestTests\n");

            var bad = a.CreateLabel();
            a.cmp(__dword_ptr[Failures], 0);
            a.jne(bad);
            Exit(a, 0);
            a.Label(ref bad);
            Exit(a, 1);
        });
        g.Code(32, Common, a =>
        {
            var fail = a.CreateLabel();
            var name = a.CreateLabel();
            var noError = a.CreateLabel();
            a.pop(eax);                                  // vector, pushed by the stub
            a.mov(ebx, __dword_ptr[CaseIndex]);
            a.shl(ebx, 5);
            a.add(ebx, (int)CaseTable);
            a.cmp(eax, __dword_ptr[ebx]);
            a.jne(fail);
            a.cmp(__dword_ptr[ebx + 4], 0);
            a.je(noError);
            a.pop(eax);                                  // error code
            a.cmp(eax, __dword_ptr[ebx + 8]);
            a.jne(fail);
            a.Label(ref noError);
            a.mov(eax, __dword_ptr[esp]);                // saved EIP
            a.cmp(eax, __dword_ptr[ebx + 12]);
            a.jne(fail);
            a.movzx(eax, __word_ptr[esp + 4]);           // saved CS
            a.cmp(eax, __dword_ptr[ebx + 16]);
            a.jne(fail);
            Print(a, "PASS ");
            a.jmp(name);
            a.Label(ref fail);
            Print(a, "FAIL ");
            a.inc(__dword_ptr[Failures]);
            a.Label(ref name);
            a.mov(esi, __dword_ptr[ebx + 24]);
            PrintAsciiz(a);
            Print(a, "\n");
            // Back to a known state, then on to the instruction after the trigger.
            a.mov(ax, Data);
            a.mov(es, ax);
            a.mov(ss, ax);
            a.mov(esp, StackTop);
            a.push(2);
            a.popfd();
            a.jmp(__dword_ptr[ebx + 20]);
        });
        for (int i = 0; i < cases.Count; i++)
        {
            var c = cases[i];
            ulong nameAddress = Names + (ulong)i * 64;
            g.WriteString(nameAddress, c.Name);
            g.WriteDwords(CaseTable + (ulong)i * 32,
                c.Vector, c.Error.HasValue ? 1u : 0u, c.Error ?? 0, labels(c.Trap ? c.After : c.At), Code, labels(c.After), (uint)nameAddress);
        }

        var (stop, exit) = g.Run();
        Assert.Equal(
            "PASS #DE div by zero\n" +
            "PASS #DB single step\n" +
            "PASS #BP int3\n" +
            "PASS #OF into\n" +
            "PASS #BR bound\n" +
            "PASS #UD ud2\n" +
            "PASS #NM wait with ts\n" +
            "SKIP #DF: see DoubleFaultGuestTests\n" +
            "PASS #TS iret to bad back link\n" +
            "PASS #NP load ds not present\n" +
            "PASS #SS load ss not present\n" +
            "PASS #SS stack limit\n" +
            "PASS #GP write to read-only segment\n" +
            "PASS #GP selector beyond gdt limit\n" +
            "SKIP #PF: see PageFaultGuestTests\n" +
            "SKIP #AC: needs CPL 3, see AlignmentCheckGuestTests\n", g.Console);
        Assert.Equal(StopReason.Halted, stop);
        Assert.Equal(0u, exit);
    }
}
