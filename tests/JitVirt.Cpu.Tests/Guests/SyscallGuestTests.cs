using Iced.Intel;
using JitVirt.Cpu.Execution;
using Xunit;
using static Iced.Intel.AssemblerRegisters;
using static JitVirt.Cpu.Tests.Guests.GuestBuilder;

namespace JitVirt.Cpu.Tests.Guests;

/// <summary>
/// A 64-bit guest that enables SYSCALL (IA32_EFER.SCE) with STAR, LSTAR and FMASK, drops to
/// ring 3 with SYSRET, comes back with SYSCALL and returns with SYSRET again, checking each side
/// of the transition against SDM vol.2 SYSCALL/SYSRET and vol.3 §5.8.8: RCX = the return RIP,
/// R11 = RFLAGS, CS = STAR[47:32], SS = STAR[47:32] + 8, RFLAGS &amp;= ~FMASK in the kernel;
/// CS = STAR[63:48] + 16 | 3, SS = STAR[63:48] + 8 | 3, RFLAGS = R11 in user mode.
/// </summary>
public class SyscallGuestTests
{
    const ulong Gdt = 0x1000, GdtrImage = 0x0F00, IdtrImage = 0x0F10, ExpectedRip = 0x4000;
    const ulong Pml4 = 0x10000, Pdpt = 0x11000, Pd = 0x12000;
    const uint Code32 = 0x8000, Kernel = 0x8800, SyscallEntry = 0x9000, User = 0xA000, UserStack = 0x7000;
    // STAR[47:32] = 0x08 (kernel CS, SS = 0x10); STAR[63:48] = 0x18 (user SS = 0x20|3, 64-bit CS = 0x28|3).
    const uint StarHigh = 0x0018_0008;
    // Flags given to user mode and at the SYSCALL: AC, IOPL 3, DF, IF, bit 1. FMASK clears AC, DF, IF.
    const int UserFlags = 0x4_3602, Fmask = 0x4_0600, KernelFlags = UserFlags & ~Fmask;

    [Fact]
    public void SyscallAndSysretSwitchRingsAsStarLstarAndFmaskSay()
    {
        using var g = new GuestBuilder();
        g.WriteQwords(Gdt,
            0,
            0x00AF_9A00_0000_FFFF, // 0x08 64-bit code, DPL 0
            0x00CF_9200_0000_FFFF, // 0x10 data, DPL 0
            0x00CF_FA00_0000_FFFF, // 0x18 32-bit code, DPL 3 (SYSRET to compatibility mode)
            0x00CF_F200_0000_FFFF, // 0x20 data, DPL 3
            0x00AF_FA00_0000_FFFF, // 0x28 64-bit code, DPL 3
            0x00CF_9A00_0000_FFFF); // 0x30 32-bit code, DPL 0 (the way in)
        g.WriteDescriptorTableRegister(GdtrImage, 7 * 8 - 1, (uint)Gdt);
        g.WriteDescriptorTableRegister(IdtrImage, 0, 0);
        // Identity map 0-4 MiB with user-accessible 2-MiB pages.
        g.WriteQwords(Pml4, Pdpt | 7);
        g.WriteQwords(Pdpt, Pd | 7);
        g.WriteQwords(Pd, 0x87, 0x20_0087);

        g.EnterProtectedMode(GdtrImage, IdtrImage, 0x30, Code32);
        g.Code(32, Code32, a =>
        {
            a.mov(ax, 0x10);
            a.mov(ds, ax);
            a.mov(es, ax);
            a.mov(ss, ax);
            a.mov(esp, 0x6000);
            a.mov(eax, cr4);
            a.or(eax, 1 << 5);
            a.mov(cr4, eax);
            a.mov(eax, (uint)Pml4);
            a.mov(cr3, eax);
            a.mov(ecx, 0xC000_0080);
            a.rdmsr();
            a.or(eax, (1 << 8) | 1);   // EFER.LME | EFER.SCE
            a.wrmsr();
            a.mov(eax, cr0);
            a.or(eax, unchecked((int)0x8000_0000));
            a.mov(cr0, eax);
            a.jmp(0x08, Kernel);
        });
        g.Code(64, Kernel, a =>
        {
            a.xor(eax, eax);
            a.mov(edx, StarHigh);
            a.mov(ecx, 0xC000_0081);   // IA32_STAR
            a.wrmsr();
            a.mov(eax, SyscallEntry);
            a.xor(edx, edx);
            a.mov(ecx, 0xC000_0082);   // IA32_LSTAR
            a.wrmsr();
            a.mov(eax, Fmask);
            a.mov(ecx, 0xC000_0084);   // IA32_FMASK
            a.wrmsr();
            Print(a, "kernel64\n");
            a.mov(ecx, User);
            a.mov(r11d, UserFlags);
            a.mov(esp, UserStack);
            a.sysretq();
        });
        g.Code(64, SyscallEntry, a =>
        {
            var fail = a.CreateLabel();
            var exit = a.CreateLabel();
            a.pushfq();                // RFLAGS as SYSCALL left it, before any CMP
            a.pop(rdx);
            a.cmp(eax, 0xDEAD);
            a.je(exit);
            a.cmp(rcx, __qword_ptr[ExpectedRip]);
            a.jne(fail);
            Print(a, "PASS syscall rcx = return rip\n");
            a.cmp(r11, UserFlags);
            a.jne(fail);
            Print(a, "PASS syscall r11 = rflags\n");
            a.mov(ax, cs);
            a.cmp(ax, 0x08);
            a.jne(fail);
            a.mov(ax, ss);
            a.cmp(ax, 0x10);
            a.jne(fail);
            Print(a, "PASS syscall cs/ss from star\n");
            a.cmp(rdx, KernelFlags);
            a.jne(fail);
            Print(a, "PASS syscall fmask applied\n");
            a.sysretq();
            a.Label(ref fail);
            Print(a, "FAIL syscall\n");
            Exit(a, 1);
            a.Label(ref exit);
            a.mov(eax, ebx);
            a.@out((byte)ExitPort, eax);
            a.cli();
            a.hlt();
        });
        Label back = default;
        var labels = g.CodeWithLabels(64, User, a =>
        {
            var fail = a.CreateLabel();
            back = a.CreateLabel();
            void CheckUserState(string what)
            {
                a.pushfq();
                a.pop(rax);
                a.cmp(rax, UserFlags);
                a.jne(fail);
                a.mov(ax, cs);
                a.cmp(ax, 0x2B);
                a.jne(fail);
                a.mov(ax, ss);
                a.cmp(ax, 0x23);
                a.jne(fail);
                Print(a, $"PASS {what}: cs 0x2b ss 0x23 rflags = r11\n");
            }
            CheckUserState("sysret to ring 3");
            a.push(UserFlags);
            a.popfq();
            a.syscall();
            a.Label(ref back);
            CheckUserState("sysret after syscall");
            a.xor(ebx, ebx);
            a.mov(eax, 0xDEAD);
            a.syscall();
            a.Label(ref fail);
            Print(a, "FAIL sysret\n");
            a.mov(ebx, 1);
            a.mov(eax, 0xDEAD);
            a.syscall();
        });
        g.WriteQwords(ExpectedRip, labels(back));   // where SYSCALL must leave RCX pointing

        var (stop, exit) = g.Run();
        Assert.Equal(
            "kernel64\n" +
            "PASS sysret to ring 3: cs 0x2b ss 0x23 rflags = r11\n" +
            "PASS syscall rcx = return rip\n" +
            "PASS syscall r11 = rflags\n" +
            "PASS syscall cs/ss from star\n" +
            "PASS syscall fmask applied\n" +
            "PASS sysret after syscall: cs 0x2b ss 0x23 rflags = r11\n", g.Console);
        Assert.Equal(StopReason.Halted, stop);
        Assert.Equal(0u, exit);
    }
}
