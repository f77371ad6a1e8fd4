using Iced.Intel;
using JitVirt.Cpu.Execution;
using Xunit;
using static Iced.Intel.AssemblerRegisters;
using static JitVirt.Cpu.Tests.Guests.GuestBuilder;

namespace JitVirt.Cpu.Tests.Guests;

/// <summary>
/// Lazy FPU context switching as an operating system does it (SDM vol.3 §2.5 CR0.TS, §7.15
/// "Interrupt 7"; vol.1 §10.5 FXSAVE/FXRSTOR): two contexts A and B share the x87/SSE unit; a
/// context switch only sets CR0.TS, and the #NM handler saves the previous owner's state with
/// FXSAVE and restores the new one's with FXRSTOR. Both contexts' x87 stacks and XMM registers
/// must survive two hand-overs.
/// </summary>
public class LazyFpuSwitchGuestTests
{
    const ulong Gdt = 0x1000, Idt = 0x2000, GdtrImage = 0x0F00, IdtrImage = 0x0F10;
    const uint Current = 0x4000, Owner = 0x4004, NmCount = 0x4008, PatternA = 0x4100, PatternB = 0x4110, Result = 0x4200;
    const uint AreaA = 0x6000, AreaStride = 0x200; // FXSAVE areas: 512 bytes, 16-byte aligned
    const uint Main = 0x8000, NmHandler = 0x9000;

    // IEEE binary64 images (SDM vol.1 §4.2.2): π rounded to nearest, and 2.0.
    const uint PiLow = 0x5444_2D18, PiHigh = 0x4009_21FB, TwoLow = 0, TwoHigh = 0x4000_0000;

    [Fact]
    public void TwoContextsKeepTheirX87AndXmmStateAcrossLazySwitches()
    {
        using var g = new GuestBuilder();
        g.WriteQwords(Gdt, 0, 0x00CF_9A00_0000_FFFF, 0x00CF_9200_0000_FFFF);
        g.WriteDescriptorTableRegister(GdtrImage, 3 * 8 - 1, (uint)Gdt);
        g.WriteQwords(Idt + 7 * 8, Gate32(0x08, NmHandler));
        g.WriteDescriptorTableRegister(IdtrImage, 32 * 8 - 1, (uint)Idt);
        g.WriteQwords(PatternA, 0x0706_0504_0302_0100, 0x0F0E_0D0C_0B0A_0908);
        g.WriteQwords(PatternB, 0xF7F6_F5F4_F3F2_F1F0, 0xFFFE_FDFC_FBFA_F9F8);

        g.EnterProtectedMode(GdtrImage, IdtrImage, 0x08, Main);
        g.Code(32, NmHandler, a =>
        {
            a.push(eax);
            a.clts();
            a.mov(eax, __dword_ptr[Owner]);
            a.imul(eax, eax, (int)AreaStride);
            a.fxsave(__[eax + (int)AreaA]);        // the previous owner's state
            a.mov(eax, __dword_ptr[Current]);
            a.mov(__dword_ptr[Owner], eax);
            a.imul(eax, eax, (int)AreaStride);
            a.fxrstor(__[eax + (int)AreaA]);       // the running context's state
            a.inc(__dword_ptr[NmCount]);
            a.pop(eax);
            a.iretd();
        });
        g.Code(32, Main, a =>
        {
            void SwitchTo(int context)
            {
                a.mov(__dword_ptr[Current], context);
                a.mov(eax, cr0);
                a.or(eax, 8);                      // CR0.TS: the next FPU/SSE instruction raises #NM
                a.mov(cr0, eax);
            }
            void ExpectDouble(string name, uint low, uint high) => Expect(a, name, () =>
            {
                a.mov(eax, __dword_ptr[Result]);
                a.xor(eax, low);
                a.mov(ebx, __dword_ptr[Result + 4]);
                a.xor(ebx, high);
                a.or(eax, ebx);
            });
            void ExpectXmm0(string name, uint pattern) => Expect(a, name, () =>
            {
                a.movdqu(xmm1, __xmmword_ptr[pattern]);
                a.pcmpeqb(xmm1, xmm0);
                a.pmovmskb(eax, xmm1);
                a.cmp(eax, 0xFFFF);
            });

            a.mov(ax, 0x10);
            a.mov(ds, ax);
            a.mov(es, ax);
            a.mov(ss, ax);
            a.mov(esp, 0x7000);
            a.mov(eax, cr4);
            a.or(eax, 0x600);                      // CR4.OSFXSR | OSXMMEXCPT
            a.mov(cr4, eax);
            a.mov(eax, cr0);
            a.and(eax, ~0xC);                      // EM = 0, TS = 0
            a.or(eax, 0x22);                       // MP, NE
            a.mov(cr0, eax);
            a.fninit();
            a.fxsave(__[AreaA + AreaStride]);      // B starts from a clean image
            a.mov(__dword_ptr[Owner], 0);
            a.mov(__dword_ptr[Current], 0);
            a.mov(__dword_ptr[NmCount], 0);

            // Context A: π on the x87 stack, pattern A in XMM0.
            a.fldpi();
            a.movdqu(xmm0, __xmmword_ptr[PatternA]);

            // Context B: its first FPU instruction takes #NM; then 2.0 and pattern B.
            SwitchTo(1);
            a.fld1();
            a.fadd(st0, st0);
            a.movdqu(xmm0, __xmmword_ptr[PatternB]);

            // Back to A: its state comes back through #NM.
            SwitchTo(0);
            a.fstp(__qword_ptr[Result]);
            ExpectDouble("A x87 intact", PiLow, PiHigh);
            ExpectXmm0("A xmm intact", PatternA);

            // Back to B.
            SwitchTo(1);
            a.fstp(__qword_ptr[Result]);
            ExpectDouble("B x87 intact", TwoLow, TwoHigh);
            ExpectXmm0("B xmm intact", PatternB);

            Expect(a, "three #NM hand-overs", () => a.cmp(__dword_ptr[NmCount], 3));
            Exit(a, 0);
        });

        var (stop, exit) = g.Run();
        Assert.Equal("PASS A x87 intact\nPASS A xmm intact\nPASS B x87 intact\nPASS B xmm intact\nPASS three #NM hand-overs\n", g.Console);
        Assert.Equal(StopReason.Halted, stop);
        Assert.Equal(0u, exit);
    }
}
