using Iced.Intel;
using JitVirt.Cpu.Execution;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Cpu.Tests.Guests;

/// <summary>
/// A 32-bit protected-mode guest that drops to ring 3 with IRET and comes back to ring 0 through
/// an interrupt gate (stack switch through the TSS, SDM vol.3 §7.12.1), a call gate (§5.8.5) and
/// SYSENTER/SYSEXIT (SDM vol.2 SYSENTER), checking in each ring-0 handler what the hardware must
/// have done: CPL, the stack it switched to, the caller's SS:ESP on that stack.
/// </summary>
public class PrivilegeTransitionGuestTests
{
    const ulong Gdt = 0x1000, Idt = 0x2000, Tss = 0x3000, GdtrImage = 0x0F00, IdtrImage = 0x0F10;
    const uint Ring0Main = 0x8000, IntHandler = 0x8300, GateHandler = 0x8400, SysenterHandler = 0x8500, User = 0x8800;
    const uint Ring0Stack = 0x6000, SysenterStack = 0x5800, UserStack = 0x7000;

    [Fact]
    public void RingThreeReachesRingZeroThroughInterruptGateCallGateAndSysenter()
    {
        using var g = new GuestBuilder();
        g.WriteQwords(Gdt,
            0,
            0x00CF_9A00_0000_FFFF, // 0x08 ring-0 code
            0x00CF_9200_0000_FFFF, // 0x10 ring-0 data
            0x00CF_FA00_0000_FFFF, // 0x18 ring-3 code (SYSEXIT: SYSENTER_CS + 16)
            0x00CF_F200_0000_FFFF, // 0x20 ring-3 data (SYSEXIT: SYSENTER_CS + 24)
            0x0000_8900_3000_0067, // 0x28 32-bit TSS at 0x3000, available (type 9)
            0x0000_EC00_0008_0000 | GateHandler); // 0x30 32-bit call gate, DPL 3 → 0x08:GateHandler
        g.WriteDescriptorTableRegister(GdtrImage, 7 * 8 - 1, (uint)Gdt);
        // IDT vector 0x80: 32-bit interrupt gate, DPL 3 (so INT 0x80 from ring 3 passes the gate check).
        g.WriteQwords(Idt + 0x80 * 8, 0x0000_EE00_0008_0000 | IntHandler);
        g.WriteDescriptorTableRegister(IdtrImage, 0x100 * 8 - 1, (uint)Idt);
        // TSS: ESP0 at offset 4, SS0 at offset 8 (SDM vol.3 §8.2.1 Figure 8-2).
        g.WriteQwords(Tss, (ulong)Ring0Stack << 32, 0x10);

        g.EnterProtectedMode(GdtrImage, IdtrImage, 0x08, Ring0Main);
        g.Code(32, Ring0Main, a =>
        {
            a.mov(ax, 0x10);
            a.mov(ds, ax);
            a.mov(es, ax);
            a.mov(ss, ax);
            a.mov(esp, Ring0Stack);
            a.mov(ax, 0x28);
            a.ltr(ax);
            // SYSENTER_CS/ESP/EIP (MSRs 174h-176h).
            a.xor(edx, edx);
            a.mov(ecx, 0x174); a.mov(eax, 0x08); a.wrmsr();
            a.mov(ecx, 0x175); a.mov(eax, SysenterStack); a.wrmsr();
            a.mov(ecx, 0x176); a.mov(eax, SysenterHandler); a.wrmsr();
            GuestBuilder.Print(a, "ring0\n");
            // IRET to ring 3 with IOPL 3 so the user code may use the console port.
            a.push(0x23);
            a.push(UserStack);
            a.push(0x3002);
            a.push(0x1B);
            a.push(User);
            a.iretd();
        });
        g.Code(32, IntHandler, a =>
        {
            var fail = a.CreateLabel();
            var halt = a.CreateLabel();
            a.cmp(eax, 0xDEAD);
            a.je(halt);
            // The gate switched to SS0:ESP0 and pushed SS, ESP, EFLAGS, CS, EIP: ESP = ESP0 - 20.
            a.cmp(esp, Ring0Stack - 20);
            a.jne(fail);
            a.cmp(__dword_ptr[esp + 16], 0x23);
            a.jne(fail);
            a.cmp(__dword_ptr[esp + 12], UserStack);
            a.jne(fail);
            a.mov(bx, cs);
            a.test(bx, 3);
            a.jnz(fail);
            GuestBuilder.Print(a, "PASS interrupt gate\n");
            a.iretd();
            a.Label(ref fail);
            GuestBuilder.Print(a, "FAIL interrupt gate\n");
            GuestBuilder.Exit(a, 1);
            a.Label(ref halt);
            a.cli();
            a.hlt();
        });
        g.Code(32, GateHandler, a =>
        {
            var fail = a.CreateLabel();
            // Call gate with 0 parameters: new stack holds SS, ESP, CS, EIP of the caller.
            a.cmp(esp, Ring0Stack - 16);
            a.jne(fail);
            a.cmp(__dword_ptr[esp + 4], 0x1B);
            a.jne(fail);
            a.cmp(__dword_ptr[esp + 12], 0x23);
            a.jne(fail);
            GuestBuilder.Print(a, "PASS call gate\n");
            a.retf();
            a.Label(ref fail);
            GuestBuilder.Print(a, "FAIL call gate\n");
            GuestBuilder.Exit(a, 1);
        });
        g.Code(32, SysenterHandler, a =>
        {
            var fail = a.CreateLabel();
            a.cmp(esp, SysenterStack);
            a.jne(fail);
            a.mov(bx, ss);
            a.cmp(bx, 0x10);       // SS = SYSENTER_CS + 8
            a.jne(fail);
            GuestBuilder.Print(a, "PASS sysenter\n");
            a.mov(edx, User + 0x100); // SYSEXIT: EIP ← EDX, ESP ← ECX
            a.mov(ecx, UserStack);
            a.sysexit();
            a.Label(ref fail);
            GuestBuilder.Print(a, "FAIL sysenter\n");
            GuestBuilder.Exit(a, 1);
        });
        g.Code(32, User, a =>
        {
            GuestBuilder.Print(a, "ring3\n");
            a.@int(0x80);
            a.call(0x33, 0);       // through the call gate (RPL 3); the offset is ignored
            a.sysenter();
        });
        g.Code(32, User + 0x100, a =>
        {
            var fail = a.CreateLabel();
            a.mov(bx, cs);
            a.cmp(bx, 0x1B);
            a.jne(fail);
            GuestBuilder.Print(a, "ring3 again\n");
            a.mov(eax, 0);
            a.@out(0xF4, eax);
            a.mov(eax, 0xDEAD);
            a.@int(0x80);
            a.Label(ref fail);
            GuestBuilder.Print(a, "FAIL sysexit\n");
            a.mov(eax, 1);
            a.@out(0xF4, eax);
            a.mov(eax, 0xDEAD);
            a.@int(0x80);
        });

        var (stop, exit) = g.Run();
        Assert.Equal("ring0\nring3\nPASS interrupt gate\nPASS call gate\nPASS sysenter\nring3 again\n", g.Console);
        Assert.Equal(StopReason.Halted, stop);
        Assert.Equal(0u, exit);
    }
}
