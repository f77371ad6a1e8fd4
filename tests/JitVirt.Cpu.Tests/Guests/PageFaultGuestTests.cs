using Iced.Intel;
using JitVirt.Cpu.Execution;
using Xunit;
using static Iced.Intel.AssemblerRegisters;
using static JitVirt.Cpu.Tests.Guests.GuestBuilder;

namespace JitVirt.Cpu.Tests.Guests;

/// <summary>
/// A 32-bit guest with PAE paging and IA32_EFER.NXE that provokes a #PF for each kind of
/// permission violation, at ring 0 and ring 3, and checks CR2, the error code (P, W/R, U/S, RSVD,
/// I/D; SDM vol.3 §5.7, Figure 5-12), the saved CS:EIP (the faulting instruction, or the fetch
/// target for a fetch fault), then repairs the PTE, invalidates it and restarts the instruction,
/// as a demand-paging kernel would. CR0.WP = 0 lets a supervisor write a read-only page (§5.6.3).
/// </summary>
public class PageFaultGuestTests
{
    const ulong Gdt = 0x1000, Idt = 0x2000, Tss = 0x3000, GdtrImage = 0x0F00, IdtrImage = 0x0F10;
    const ulong CaseIndex = 0x4000, CaseTable = 0x4100, Names = 0x5000;
    const ulong Pdpt = 0x10000, PageDirectory = 0x11000, PageTable = 0x12000;
    const uint Main = 0x8000, User = 0x8800, PfHandler = 0xA000, EndHandler = 0xA800, Stray = 0xB000;
    const uint Ring0Stack = 0x6000, UserStack = 0x7000, Marker = 0x600D_F00D;
    const int Unexpected = 31;

    // Test pages (linear = physical) and the PTE each starts with: P = 1, R/W = 2, U/S = 4, XD = bit 63.
    const uint NpRead = 0x100000, NpWrite = 0x101000, NpFetch = 0x102000, RoSupervisor = 0x103000, RoNoWp = 0x104000,
        NxPage = 0x105000, ReservedPage = 0x106000, SupervisorData = 0x107000, RoUser = 0x108000, SupervisorCode = 0x109000;

    sealed record Case(string Name, uint Error, uint Page, ushort Cs, Label At, bool Fetch);

    static ulong PteAddress(uint page) => PageTable + (page >> 12) * 8;

    [Fact]
    public void EachPermissionViolationReportsCr2AndErrorCodeAndRestarts()
    {
        using var g = new GuestBuilder();
        g.WriteQwords(Gdt,
            0,
            0x00CF_9A00_0000_FFFF, // 0x08 ring-0 code
            0x00CF_9200_0000_FFFF, // 0x10 ring-0 data
            0x00CF_FA00_0000_FFFF, // 0x18 ring-3 code
            0x00CF_F200_0000_FFFF, // 0x20 ring-3 data
            Tss32((uint)Tss, 0x67)); // 0x28 TSS
        g.WriteDescriptorTableRegister(GdtrImage, 6 * 8 - 1, (uint)Gdt);
        for (uint v = 0; v < 32; v++) g.WriteQwords(Idt + v * 8, Gate32(0x08, v == 14 ? PfHandler : Stray));
        g.WriteQwords(Idt + 0x80 * 8, Gate32(0x08, EndHandler, dpl: 3));
        g.WriteDescriptorTableRegister(IdtrImage, 0x100 * 8 - 1, (uint)Idt);
        g.WriteDwords(Tss + 4, Ring0Stack, 0x10);

        // PAE (SDM vol.3 §5.4): PDPTE 0 → PD, PDE 0 → PT mapping 0-2 MiB with 4-KiB user pages.
        g.WriteQwords(Pdpt, PageDirectory | 1);
        g.WriteQwords(PageDirectory, PageTable | 7);
        var pt = new ulong[512];
        for (ulong i = 0; i < 512; i++) pt[i] = (i << 12) | 7;
        g.WriteQwords(PageTable, pt);
        g.WriteQwords(PteAddress(NpRead), 0);
        g.WriteQwords(PteAddress(NpWrite), 0);
        g.WriteQwords(PteAddress(NpFetch), 0);
        g.WriteQwords(PteAddress(RoSupervisor), RoSupervisor | 5);
        g.WriteQwords(PteAddress(RoNoWp), RoNoWp | 5);
        g.WriteQwords(PteAddress(NxPage), NxPage | 7 | 1ul << 63);
        g.WriteQwords(PteAddress(ReservedPage), ReservedPage | 7 | 1ul << 51); // bit 51: reserved below MAXPHYADDR 52
        g.WriteQwords(PteAddress(SupervisorData), SupervisorData | 3);
        g.WriteQwords(PteAddress(RoUser), RoUser | 5);
        g.WriteQwords(PteAddress(SupervisorCode), SupervisorCode | 3);
        g.WriteDwords(NpRead, Marker);
        foreach (uint page in new[] { NpFetch, NxPage, SupervisorCode }) g.Machine.Memory.WriteBytes(page, [0xC3]); // RET

        var cases = new List<Case>();
        void Check(Assembler a, string name, uint error, uint page, ushort cs, Action trigger, bool fetch = false)
        {
            var at = a.CreateLabel();
            a.mov(__dword_ptr[CaseIndex], cases.Count);
            a.Label(ref at);
            trigger();
            cases.Add(new Case(name, error, page, cs, at, fetch));
        }

        g.EnterProtectedMode(GdtrImage, IdtrImage, 0x08, Main);
        var mainLabels = g.CodeWithLabels(32, Main, a =>
        {
            var fail = a.CreateLabel();
            a.mov(ax, 0x10);
            a.mov(ds, ax);
            a.mov(es, ax);
            a.mov(ss, ax);
            a.mov(esp, Ring0Stack);
            a.mov(ax, 0x28);
            a.ltr(ax);
            a.mov(__dword_ptr[CaseIndex], Unexpected);
            a.mov(eax, cr4);
            a.or(eax, 1 << 5);                       // CR4.PAE
            a.mov(cr4, eax);
            a.mov(eax, (uint)Pdpt);
            a.mov(cr3, eax);
            a.mov(ecx, 0xC000_0080);                 // IA32_EFER.NXE
            a.rdmsr();
            a.or(eax, 1 << 11);
            a.wrmsr();
            a.mov(eax, cr0);
            a.or(eax, unchecked((int)0x8001_0000));  // CR0.PG | CR0.WP
            a.mov(cr0, eax);

            Check(a, "not-present read", 0x00, NpRead, 0x08, () => a.mov(eax, __dword_ptr[NpRead]));
            a.cmp(eax, Marker);
            a.jne(fail);
            Print(a, "PASS not-present read restarted\n");
            Check(a, "not-present write", 0x02, NpWrite, 0x08, () => a.mov(__dword_ptr[NpWrite], 1));
            Check(a, "not-present fetch", 0x10, NpFetch, 0x08, () => a.call(NpFetch), fetch: true);
            Check(a, "supervisor write to read-only page with WP=1", 0x03, RoSupervisor, 0x08, () => a.mov(__dword_ptr[RoSupervisor], 1));
            Check(a, "NX fetch", 0x11, NxPage, 0x08, () => a.call(NxPage), fetch: true);
            Check(a, "reserved bit", 0x09, ReservedPage, 0x08, () => a.mov(eax, __dword_ptr[ReservedPage]));

            // CR0.WP = 0: supervisor writes ignore R/W (SDM vol.3 §5.6.3); a #PF here is a failure.
            a.mov(__dword_ptr[CaseIndex], Unexpected);
            a.mov(eax, cr0);
            a.and(eax, ~0x1_0000);
            a.mov(cr0, eax);
            a.mov(__dword_ptr[RoNoWp], 0x1234);
            a.cmp(__dword_ptr[RoNoWp], 0x1234);
            a.jne(fail);
            Print(a, "PASS supervisor write to read-only page with WP=0\n");

            // Ring 3 with IOPL 3 (for the console).
            a.push(0x23);
            a.push(UserStack);
            a.push(0x3002);
            a.push(0x1B);
            a.push(User);
            a.iretd();
            a.Label(ref fail);
            Print(a, "FAIL\n");
            Exit(a, 1);
        });
        var userLabels = g.CodeWithLabels(32, User, a =>
        {
            // IRET to ring 3 left DS and ES null (their DPL 0 < CPL 3; SDM vol.2 IRET, RETURN-TO-OUTER-PRIVILEGE-LEVEL).
            a.mov(ax, 0x23);
            a.mov(ds, ax);
            a.mov(es, ax);
            Check(a, "user read of supervisor page", 0x05, SupervisorData, 0x1B, () => a.mov(eax, __dword_ptr[SupervisorData]));
            Check(a, "user write to read-only page", 0x07, RoUser, 0x1B, () => a.mov(__dword_ptr[RoUser], 1));
            Check(a, "user fetch from supervisor page", 0x15, SupervisorCode, 0x1B, () => a.call(SupervisorCode), fetch: true);
            a.mov(__dword_ptr[CaseIndex], Unexpected);
            a.@int(0x80);
        });
        g.Code(32, PfHandler, a =>
        {
            var fail = a.CreateLabel();
            a.pushad();
            a.mov(ebx, __dword_ptr[CaseIndex]);
            a.shl(ebx, 5);
            a.add(ebx, (int)CaseTable);
            a.mov(eax, __dword_ptr[esp + 32]);       // error code
            a.cmp(eax, __dword_ptr[ebx]);
            a.jne(fail);
            a.mov(eax, cr2);
            a.cmp(eax, __dword_ptr[ebx + 4]);
            a.jne(fail);
            a.mov(eax, __dword_ptr[esp + 36]);       // saved EIP
            a.cmp(eax, __dword_ptr[ebx + 8]);
            a.jne(fail);
            a.movzx(eax, __word_ptr[esp + 40]);      // saved CS
            a.cmp(eax, __dword_ptr[ebx + 12]);
            a.jne(fail);
            Print(a, "PASS ");
            a.mov(esi, __dword_ptr[ebx + 28]);
            PrintAsciiz(a);
            Print(a, "\n");
            // Repair the PTE, drop its translation, restart the faulting instruction.
            a.mov(edi, __dword_ptr[ebx + 16]);
            a.mov(eax, __dword_ptr[ebx + 20]);
            a.mov(__dword_ptr[edi], eax);
            a.mov(eax, __dword_ptr[ebx + 24]);
            a.mov(__dword_ptr[edi + 4], eax);
            a.mov(eax, cr2);
            a.invlpg(__[eax]);
            a.mov(__dword_ptr[CaseIndex], Unexpected);
            a.popad();
            a.add(esp, 4);
            a.iretd();
            a.Label(ref fail);
            Print(a, "FAIL ");
            a.mov(esi, __dword_ptr[ebx + 28]);
            PrintAsciiz(a);
            Print(a, "\n");
            Exit(a, 1);
        });
        g.Code(32, EndHandler, a => Exit(a, 0));
        g.Code(32, Stray, a =>
        {
            Print(a, "FAIL unexpected exception\n");
            Exit(a, 1);
        });

        for (int i = 0; i < cases.Count; i++)
        {
            var c = cases[i];
            ulong nameAddress = Names + (ulong)i * 64;
            g.WriteString(nameAddress, c.Name);
            uint eip = c.Fetch ? c.Page : c.Cs == 0x08 ? mainLabels(c.At) : userLabels(c.At);
            g.WriteDwords(CaseTable + (ulong)i * 32,
                c.Error, c.Page, eip, c.Cs, (uint)PteAddress(c.Page), c.Page | 7, 0, (uint)nameAddress);
        }
        g.WriteString(Names + Unexpected * 64, "unexpected #PF");
        g.WriteDwords(CaseTable + Unexpected * 32, 0xFFFF_FFFF, 0, 0, 0, 0, 0, 0, (uint)(Names + Unexpected * 64));

        var (stop, exit) = g.Run();
        Assert.Equal(
            "PASS not-present read\n" +
            "PASS not-present read restarted\n" +
            "PASS not-present write\n" +
            "PASS not-present fetch\n" +
            "PASS supervisor write to read-only page with WP=1\n" +
            "PASS NX fetch\n" +
            "PASS reserved bit\n" +
            "PASS supervisor write to read-only page with WP=0\n" +
            "PASS user read of supervisor page\n" +
            "PASS user write to read-only page\n" +
            "PASS user fetch from supervisor page\n", g.Console);
        Assert.Equal(StopReason.Halted, stop);
        Assert.Equal(0u, exit);
    }
}
