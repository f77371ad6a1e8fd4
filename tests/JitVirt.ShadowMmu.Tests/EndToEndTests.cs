using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;
using JitVirt.ShadowMmu.Tests.Support;
using Xunit;
using static Iced.Intel.AssemblerRegisters;
using static JitVirt.ShadowMmu.Tests.Support.GuestTables;

namespace JitVirt.ShadowMmu.Tests;

/// <summary>
/// A 64-bit guest on <c>new Cpu(memory, shadowMmu)</c> remaps a linear page to another frame by
/// storing to its own PTE, and reads the new data.
/// </summary>
public sealed class EndToEndTests
{
    const ulong Code = 0x8000, Results = 0x5000;
    const ulong Remapped = 0x4000_0000; // PML4E 0, PDPTE 1: outside the identity map
    const ulong OldFrame = 0x30_0000, NewFrame = 0x30_1000;

    static ulong MapRemappedPage(LongModeGuest g) => g.Tables.Map4K(Remapped, OldFrame, P | RW);

    static void Seed(LongModeGuest g)
    {
        g.Memory.Write(OldFrame, 8, 0x1111_1111_1111_1111);
        g.Memory.Write(NewFrame, 8, 0x2222_2222_2222_2222);
    }

    [Fact]
    public void A_guest_remaps_a_page_with_INVLPG_and_reads_the_new_frame()
    {
        using var g = new LongModeGuest();
        ulong pte = MapRemappedPage(g);
        Seed(g);
        g.Load(Code, a =>
        {
            a.mov(rsi, Remapped);
            a.mov(rdi, Results);
            a.mov(rax, __qword_ptr[rsi]);
            a.mov(__qword_ptr[rdi], rax);
            a.mov(rdx, pte);                  // the PTE is identity-mapped (tables below 16 MiB)
            a.mov(rcx, NewFrame | P | RW);
            a.mov(__qword_ptr[rdx], rcx);
            a.invlpg(__[rsi]);
            a.mov(rbx, __qword_ptr[rsi]);
            a.mov(__qword_ptr[rdi + 8], rbx);
            a.hlt();
        });

        Assert.Equal(StopReason.Halted, g.Run(Code));
        Assert.False(g.Cpu.Faulted);
        Assert.Equal(0x1111_1111_1111_1111ul, g.Memory.Read(Results, 8));
        Assert.Equal(0x2222_2222_2222_2222ul, g.Memory.Read(Results + 8, 8));
        Assert.True(g.Shadow.Statistics.WriteProtectHits >= 1);
        Assert.True(g.Shadow.Statistics.Flushes >= 2); // the CR3 load at start and the INVLPG
    }

    [Fact]
    public void A_guest_store_to_its_PTE_is_write_protected_and_zaps_the_translation_even_without_INVLPG()
    {
        using var g = new LongModeGuest();
        ulong pte = MapRemappedPage(g);
        Seed(g);
        g.Load(Code, a =>
        {
            a.mov(rsi, Remapped);
            a.mov(rdi, Results);
            a.mov(rax, __qword_ptr[rsi]);
            a.mov(__qword_ptr[rdi], rax);
            a.mov(rdx, pte);
            a.mov(rcx, NewFrame | P | RW);
            a.mov(__qword_ptr[rdx], rcx);
            a.mov(rbx, __qword_ptr[rsi]);      // no INVLPG: a stale TLB entry would be allowed; the shadow zapped it
            a.mov(__qword_ptr[rdi + 8], rbx);
            a.hlt();
        });

        Assert.Equal(StopReason.Halted, g.Run(Code));
        Assert.Equal(0x2222_2222_2222_2222ul, g.Memory.Read(Results + 8, 8));
        Assert.Equal(1, g.Shadow.Statistics.Zaps);
    }

    [Fact]
    public void A_guest_access_its_tables_deny_is_delivered_as_a_page_fault_with_the_guests_error_code()
    {
        using var g = new LongModeGuest();
        ulong pte = MapRemappedPage(g);
        g.Memory.Write(pte, 8, OldFrame | P); // read-only, CR0.WP = 1
        g.Load(Code, a =>
        {
            a.mov(rsi, Remapped);
            a.mov(__qword_ptr[rsi], rsi);
            a.hlt();
        });
        g.Run(Code, budget: 3);
        Assert.Equal(Remapped, g.Cpu.Cr2);
        Assert.Equal(1, g.Shadow.Statistics.GuestPageFaults);
    }
}
