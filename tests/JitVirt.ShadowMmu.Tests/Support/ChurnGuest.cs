using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;
using static JitVirt.ShadowMmu.Tests.Support.GuestTables;

namespace JitVirt.ShadowMmu.Tests.Support;

/// <summary>
/// A page-table-churn guest (issue 4 acceptance 2). Each of <see cref="Iterations"/> rounds
/// rebuilds one of 8 address-space slots from scratch (clears its PML4, PDPT, PD and PT with REP
/// STOSQ while older shadows of them may exist), maps 8 data pages and a code page in a window at
/// 512 GiB, loads CR3, reads and updates the data, edits a live PTE in place and INVLPGs it,
/// calls the code page, remaps it to the other code frame in place with INVLPG and calls it
/// again, and every 16th round switches to an older address space and back. The checksum of
/// everything read goes to port E9h as 16 hex digits and a newline; then HLT.
/// </summary>
public static class ChurnGuest
{
    public const int Iterations = 300;
    public const ulong Code = 0x8000;
    public const ulong SlotBase = 0x40_0000, SlotSize = 0x4000;
    public const ulong DataBase = 0x60_0000;
    public const int DataFrames = 64;
    public const ulong CodeOne = 0x70_0000, CodeTwo = 0x70_1000; // "mov eax, 1; ret" and "mov eax, 2; ret"
    public const ulong Window = 0x80_0000_0000; // PML4 index 1
    public const int CodePteIndex = 16;

    /// <summary>Seeds the data frames and the two code frames.</summary>
    public static void Seed(PagedGuest g)
    {
        for (int f = 0; f < DataFrames; f++)
            for (int q = 0; q < 512; q++)
                g.Memory.Write(DataBase + (ulong)f * 0x1000 + (ulong)q * 8, 8, (ulong)(f * 0x1_0000 + q) * 0x9E37_79B9ul);
        g.Memory.WriteBytes(CodeOne, [0xB8, 1, 0, 0, 0, 0xC3]);
        g.Memory.WriteBytes(CodeTwo, [0xB8, 2, 0, 0, 0, 0xC3]);
    }

    public static void Emit(Assembler a)
    {
        Label loop = a.CreateLabel(), fill = a.CreateLabel(), touch = a.CreateLabel(), skip = a.CreateLabel();
        Label print = a.CreateLabel(), digit = a.CreateLabel();
        a.mov(r12, __qword_ptr[PagedGuest.KernelRoot]); // PML4E 0: the identity map
        a.xor(r15, r15);
        a.xor(r14, r14);

        a.Label(ref loop);
        a.mov(rax, PagedGuest.KernelRoot);
        a.mov(cr3, rax);
        // Destroy the slot's old address space: clear its four tables.
        a.mov(r13, r14); a.and(r13, 7); a.shl(r13, 14); a.mov(rax, SlotBase); a.add(r13, rax);
        a.mov(rdi, r13); a.mov(ecx, 4 * 512); a.xor(eax, eax); a.rep.stosq();
        // Build it again: PML4[0] = identity, PML4[1] -> PDPT -> PD -> PT.
        a.mov(__qword_ptr[r13], r12);
        a.lea(rax, __[r13 + 0x1000 + (int)(P | RW)]); a.mov(__qword_ptr[r13 + 8], rax);
        a.lea(rax, __[r13 + 0x2000 + (int)(P | RW)]); a.mov(__qword_ptr[r13 + 0x1000], rax);
        a.lea(rax, __[r13 + 0x3000 + (int)(P | RW)]); a.mov(__qword_ptr[r13 + 0x2000], rax);
        // PT[j] = data frame (7i + j) mod 64, j = 0..7.
        a.xor(ebx, ebx);
        a.Label(ref fill);
        a.imul(rax, r14, 7); a.add(rax, rbx); a.and(eax, DataFrames - 1); a.shl(rax, 12);
        a.mov(rdx, DataBase | P | RW); a.add(rax, rdx);
        a.mov(__qword_ptr[r13 + rbx * 8 + 0x3000], rax);
        a.inc(ebx); a.cmp(ebx, 8); a.jb(fill);
        // PT[16] = code frame one (even rounds) or two (odd), read-only.
        a.mov(rax, r14); a.and(eax, 1); a.shl(rax, 12); a.mov(rdx, CodeOne | P); a.add(rax, rdx);
        a.mov(__qword_ptr[r13 + CodePteIndex * 8 + 0x3000], rax);
        a.mov(cr3, r13);

        // Read and update every data page.
        a.xor(ebx, ebx);
        a.Label(ref touch);
        a.mov(rsi, rbx); a.shl(rsi, 12); a.mov(rax, Window); a.add(rsi, rax);
        a.mov(rax, r14); a.and(eax, 15); a.add(r15, __qword_ptr[rsi + rax * 8]);
        a.mov(rax, r14); a.add(rax, rbx); a.and(eax, 511); a.add(__qword_ptr[rsi + rax * 8], r14);
        a.rol(r15, 5);
        a.inc(ebx); a.cmp(ebx, 8); a.jb(touch);

        // Edit the live PTE 3 in place (through the identity map), INVLPG, read through it.
        a.imul(rax, r14, 13); a.and(eax, DataFrames - 1); a.shl(rax, 12); a.mov(rdx, DataBase | P | RW); a.add(rax, rdx);
        a.mov(__qword_ptr[r13 + 3 * 8 + 0x3000], rax);
        a.mov(rsi, Window + 0x3000); a.invlpg(__[rsi]);
        a.add(r15, __qword_ptr[rsi + 0x10]); a.rol(r15, 3);

        // Call the code page, remap it to the other frame in place, INVLPG, call again.
        a.mov(rax, Window + CodePteIndex * 0x1000); a.call(rax);
        a.imul(rax, r14); a.add(r15, rax);
        a.mov(rax, __qword_ptr[r13 + CodePteIndex * 8 + 0x3000]); a.xor(rax, 0x1000);
        a.mov(__qword_ptr[r13 + CodePteIndex * 8 + 0x3000], rax);
        a.mov(rax, Window + CodePteIndex * 0x1000); a.invlpg(__[rax]); a.call(rax);
        a.add(r15, rax); a.rol(r15, 7);

        // Every 16th round (from 16 on): switch to the address space built 3 rounds ago, and back.
        a.test(r14, r14); a.jz(skip);
        a.test(r14d, 15); a.jnz(skip);
        a.mov(rax, r14); a.sub(rax, 3); a.and(eax, 7); a.shl(rax, 14); a.mov(rdx, SlotBase); a.add(rax, rdx);
        a.mov(cr3, rax);
        a.mov(rsi, Window); a.add(r15, __qword_ptr[rsi + 8]);
        a.mov(cr3, r13);
        a.Label(ref skip);
        a.inc(r14); a.cmp(r14, Iterations); a.jb(loop);

        // Print the checksum: 16 hex digits and a newline on port E9h.
        a.mov(ecx, 16); a.mov(edx, 0xE9); a.mov(rbx, r15);
        a.Label(ref print);
        a.rol(rbx, 4); a.mov(eax, ebx); a.and(eax, 15); a.add(al, (byte)'0'); a.cmp(al, (byte)'9'); a.jbe(digit); a.add(al, 'a' - '9' - 1);
        a.Label(ref digit);
        a.@out(dx, al);
        a.dec(ecx); a.jnz(print);
        a.mov(al, (byte)'\n'); a.@out(dx, al);
        a.hlt();
    }
}
