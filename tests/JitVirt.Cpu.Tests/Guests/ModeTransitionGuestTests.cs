using Iced.Intel;
using JitVirt.Cpu.Execution;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Cpu.Tests.Guests;

/// <summary>
/// A guest that walks the mode ladder the SDM describes (vol.3 §10.9 protected-mode entry,
/// §10.8.5 IA-32e activation): real mode → 32-bit protected mode → 64-bit mode (PAE paging,
/// EFER.LME, CR0.PG, far jump to an L=1 code segment) → compatibility mode (far return to a 32-bit
/// code segment) → back to 64-bit mode, printing a line at each step and checking the mode-defining
/// state it can observe itself.
/// </summary>
public class ModeTransitionGuestTests
{
    // GDT (SDM vol.3 §3.4.5): 0x08 32-bit code, 0x10 flat data, 0x18 64-bit code.
    const ulong Gdt = 0x1000, GdtrImage = 0x0F00;
    const ulong Pml4 = 0x10000, Pdpt = 0x11000, Pd = 0x12000;
    const ulong Code32 = 0x8000, Code64 = 0x9000, Compat = 0xA000, Back64 = 0x9800;

    [Fact]
    public void RealToProtectedToLongToCompatibilityAndBack()
    {
        using var g = new GuestBuilder();
        g.WriteQwords(Gdt, 0, 0x00CF_9A00_0000_FFFF, 0x00CF_9200_0000_FFFF, 0x00AF_9A00_0000_FFFF);
        g.WriteDescriptorTableRegister(GdtrImage, 4 * 8 - 1, (uint)Gdt);
        // Identity map the first 4 MiB with two 2 MiB pages (SDM vol.3 §5.5: P|RW, PS in the PDE).
        g.WriteQwords(Pml4, Pdpt | 3);
        g.WriteQwords(Pdpt, Pd | 3);
        g.WriteQwords(Pd, 0x83, 0x20_0083);

        g.Code(16, 0x7C00, a =>
        {
            a.cli();
            a.xor(ax, ax);
            a.mov(ds, ax);
            a.mov(ss, ax);
            a.mov(sp, 0x7000);
            GuestBuilder.Print(a, "real\n");
            a.lgdt(__[(ushort)GdtrImage]);
            a.mov(eax, cr0);
            a.or(eax, 1);          // CR0.PE
            a.mov(cr0, eax);
            a.jmp(0x08, (uint)Code32);
        });
        g.Code(32, Code32, a =>
        {
            a.mov(ax, 0x10);
            a.mov(ds, ax);
            a.mov(es, ax);
            a.mov(ss, ax);
            a.mov(esp, 0x7000);
            GuestBuilder.Print(a, "prot32\n");
            a.mov(eax, cr4);
            a.or(eax, 1 << 5);     // CR4.PAE
            a.mov(cr4, eax);
            a.mov(eax, (uint)Pml4);
            a.mov(cr3, eax);
            a.mov(ecx, 0xC000_0080); // IA32_EFER
            a.rdmsr();
            a.or(eax, 1 << 8);     // EFER.LME
            a.wrmsr();
            a.mov(eax, cr0);
            a.or(eax, unchecked((int)0x8000_0000)); // CR0.PG activates IA-32e mode
            a.mov(cr0, eax);
            a.jmp(0x18, (uint)Code64);
        });
        g.Code(64, Code64, a =>
        {
            var fail = a.CreateLabel();
            GuestBuilder.Print(a, "long64\n");
            a.mov(ecx, 0xC000_0080);
            a.rdmsr();
            a.test(eax, 1 << 10);  // EFER.LMA
            a.jz(fail);
            GuestBuilder.Print(a, "PASS lma\n");
            // Far return to the 32-bit code segment: compatibility mode.
            a.mov(rsp, 0x7000);
            a.push(0x08);
            a.push((int)Compat);
            a.db(0x48, 0xCB);      // RETFQ (REX.W CB)
            a.Label(ref fail);
            GuestBuilder.Print(a, "FAIL lma\n");
            GuestBuilder.Exit(a, 1);
        });
        g.Code(32, Compat, a =>
        {
            GuestBuilder.Print(a, "compat32\n");
            a.jmp(0x18, (uint)Back64);
        });
        g.Code(64, Back64, a =>
        {
            GuestBuilder.Print(a, "back64\n");
            GuestBuilder.Exit(a, 0);
        });

        var (stop, exit) = g.Run();
        Assert.Equal("real\nprot32\nlong64\nPASS lma\ncompat32\nback64\n", g.Console);
        Assert.Equal(StopReason.Halted, stop);
        Assert.Equal(0u, exit);
        Assert.Equal(OperatingMode.Long64, g.Machine.Cpu.Mode);
    }
}
