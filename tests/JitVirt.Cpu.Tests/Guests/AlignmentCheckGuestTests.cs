using Iced.Intel;
using JitVirt.Cpu.Execution;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Cpu.Tests.Guests;

/// <summary>
/// #AC (SDM vol.3 §7.15 "Interrupt 17—Alignment Check Exception"): with CR0.AM set, a ring-3
/// guest reads misaligned data once with EFLAGS.AC clear (no fault), then with AC set: #AC with
/// error code 0 and the saved EIP at the faulting instruction, delivered to ring 0 through the
/// TSS stack.
/// </summary>
public class AlignmentCheckGuestTests
{
    const ulong Gdt = 0x1000, Idt = 0x2000, Tss = 0x3000, GdtrImage = 0x0F00, IdtrImage = 0x0F10, Data = 0x5000;
    const uint Ring0 = 0x8000, AcHandler = 0x8300, User = 0x8800, Faulting = 0x8C00;
    const uint Ring0Stack = 0x6000, UserStack = 0x7000;

    [Fact]
    public void MisalignedRing3ReadFaultsOnlyWithCr0AmAndEflagsAc()
    {
        using var g = new GuestBuilder();
        g.WriteQwords(Gdt, 0,
            0x00CF_9A00_0000_FFFF, 0x00CF_9200_0000_FFFF,   // 0x08, 0x10 ring 0
            0x00CF_FA00_0000_FFFF, 0x00CF_F200_0000_FFFF,   // 0x18, 0x20 ring 3
            0x0000_8900_3000_0067);                         // 0x28 TSS
        g.WriteDescriptorTableRegister(GdtrImage, 6 * 8 - 1, (uint)Gdt);
        g.WriteQwords(Idt + 17 * 8, 0x0000_8E00_0008_0000 | AcHandler);
        g.WriteDescriptorTableRegister(IdtrImage, 32 * 8 - 1, (uint)Idt);
        g.WriteQwords(Tss, (ulong)Ring0Stack << 32, 0x10);
        g.WriteQwords(Data, 0x1122_3344_5566_7788);

        g.EnterProtectedMode(GdtrImage, IdtrImage, 0x08, Ring0);
        g.Code(32, Ring0, a =>
        {
            a.mov(ax, 0x10);
            a.mov(ds, ax);
            a.mov(ss, ax);
            a.mov(esp, Ring0Stack);
            a.mov(ax, 0x28);
            a.ltr(ax);
            a.mov(eax, cr0);
            a.or(eax, 1 << 18);    // CR0.AM
            a.mov(cr0, eax);
            a.push(0x23);
            a.push(UserStack);
            a.push(0x3002);        // IOPL 3 for the console, AC clear
            a.push(0x1B);
            a.push(User);
            a.iretd();
        });
        g.Code(32, User, a =>
        {
            a.mov(ax, 0x23);
            a.mov(ds, ax);
            a.mov(eax, __dword_ptr[Data + 1]);   // AC clear: no check
            a.cmp(eax, 0x4455_6677);             // bytes 77 66 55 44 at Data+1 (little-endian)
            var bad = a.CreateLabel();
            a.jne(bad);
            GuestBuilder.Print(a, "PASS misaligned read with AC clear\n");
            a.pushfd();
            a.or(__dword_ptr[esp], 1 << 18);     // EFLAGS.AC (POPF may change it at any CPL)
            a.popfd();
            a.jmp(Faulting);
            a.Label(ref bad);
            GuestBuilder.Print(a, "FAIL misaligned read with AC clear\n");
            a.jmp(Faulting + 0x40);
        });
        g.Code(32, Faulting, a => a.mov(eax, __dword_ptr[Data + 1]));
        g.Code(32, Faulting + 0x40, a =>
        {
            a.mov(eax, 1);
            a.@out(0xF4, eax);
            a.@int(3);
        });
        g.Code(32, AcHandler, a =>
        {
            var fail = a.CreateLabel();
            // Frame on ESP0: error code, EIP, CS, EFLAGS, ESP, SS.
            a.cmp(__dword_ptr[esp], 0);
            a.jne(fail);
            a.cmp(__dword_ptr[esp + 4], Faulting);
            a.jne(fail);
            a.cmp(__dword_ptr[esp + 8], 0x1B);
            a.jne(fail);
            GuestBuilder.Print(a, "PASS #AC error code and saved EIP\n");
            GuestBuilder.Exit(a, 0);
            a.Label(ref fail);
            GuestBuilder.Print(a, "FAIL #AC frame\n");
            GuestBuilder.Exit(a, 1);
        });

        var (stop, exit) = g.Run();
        Assert.Equal("PASS misaligned read with AC clear\nPASS #AC error code and saved EIP\n", g.Console);
        Assert.Equal(StopReason.Halted, stop);
        Assert.Equal(0u, exit);
    }
}
