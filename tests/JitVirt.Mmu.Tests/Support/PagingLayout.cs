using JitVirt.Cpu.Memory;
using JitVirt.Mmu.Tests.Reference;
using JitVirt.Mmu.Walker;
using Cr0 = JitVirt.Cpu.State.Cr0;
using Cr4 = JitVirt.Cpu.State.Cr4;
using Efer = JitVirt.Cpu.State.Efer;

namespace JitVirt.Mmu.Tests.Support;

/// <summary>
/// One translation's paging structures at fixed guest-physical addresses, for one paging mode:
/// where each level's entry for <see cref="Linear"/> lives and which address it carries. Indices
/// are computed here from the SDM's linear-address splits, not by the walker.
/// </summary>
public sealed class PagingLayout
{
    /// <summary>RAM the layout needs: 8 MiB for 32-bit paging (its page table sits at 4 MiB), 64 KiB otherwise.</summary>
    public ulong RamBytes => Mode == RefMode.ThirtyTwoBit ? 8ul << 20 : 64ul << 10;

    public const ulong Frame4K = 0x9_8765_4000;     // bits 35:12 in use: exercises MAXPHYADDR = 36
    public const ulong Frame2M = 0xF_FFE0_0000;     // highest 2-MByte frame below 2^36
    public const ulong Frame32Bit = 0xABCD_E000;
    public const ulong Table32Bit = 0x0040_0000;    // page table and 4-MByte frame at once (PS decides)

    public RefMode Mode { get; }
    public ulong Cr3 { get; }
    public ulong Linear { get; }
    public int EntrySize { get; }
    public ulong[] EntryAddresses { get; }
    readonly Func<int, bool, ulong> _addressField;

    PagingLayout(RefMode mode, ulong cr3, ulong linear, int entrySize, ulong[] entryAddresses, Func<int, bool, ulong> addressField)
    {
        Mode = mode; Cr3 = cr3; Linear = linear; EntrySize = entrySize;
        EntryAddresses = entryAddresses; _addressField = addressField;
    }

    public int Levels => EntryAddresses.Length;

    /// <summary>32-bit paging: PD at 0x1000 (CR3 with PWT/PCD set), PT at 4 MiB (§5.3).</summary>
    public static PagingLayout ThirtyTwoBit()
    {
        const ulong linear = 0x8048_1ABC;
        ulong pde = 0x1000 + ((linear >> 22) & 0x3FF) * 4;
        ulong pte = Table32Bit + ((linear >> 12) & 0x3FF) * 4;
        return new(RefMode.ThirtyTwoBit, 0x1000 | 0x18, linear, 4, [pde, pte],
            (level, _) => level == 0 ? Table32Bit : Frame32Bit);
    }

    /// <summary>PAE paging: PDPT at 0x1020 (32-byte aligned, CR3[31:5]), PD 0x2000, PT 0x3000 (§5.4).</summary>
    public static PagingLayout Pae()
    {
        const ulong linear = 0xC0A4_5ABC;
        ulong pdpte = 0x1020 + ((linear >> 30) & 3) * 8;
        ulong pde = 0x2000 + ((linear >> 21) & 0x1FF) * 8;
        ulong pte = 0x3000 + ((linear >> 12) & 0x1FF) * 8;
        return new(RefMode.Pae, 0x1020, linear, 8, [pdpte, pde, pte],
            (level, ps) => level switch { 0 => 0x2000, 1 => ps ? Frame2M : 0x3000, _ => Frame4K });
    }

    /// <summary>4-level paging: PML4 0x1000, PDPT 0x2000, PD 0x3000, PT 0x4000, a canonical upper-half address (§5.5).</summary>
    public static PagingLayout FourLevel()
    {
        const ulong linear = 0xFFFF_D5A5_5A5A_5ABC;
        ulong[] addresses =
        [
            0x1000 + ((linear >> 39) & 0x1FF) * 8,
            0x2000 + ((linear >> 30) & 0x1FF) * 8,
            0x3000 + ((linear >> 21) & 0x1FF) * 8,
            0x4000 + ((linear >> 12) & 0x1FF) * 8,
        ];
        return new(RefMode.FourLevel, 0x1000, linear, 8, addresses,
            (level, ps) => level switch { 0 => 0x2000, 1 => 0x3000, 2 => ps ? Frame2M : 0x4000, _ => Frame4K });
    }

    public static PagingLayout For(RefMode mode) => mode switch
    {
        RefMode.ThirtyTwoBit => ThirtyTwoBit(),
        RefMode.Pae => Pae(),
        _ => FourLevel(),
    };

    /// <summary>The entry for <paramref name="level"/> (0 = top) with <paramref name="flags"/> and the layout's address.</summary>
    public ulong Entry(int level, ulong flags) => flags | _addressField(level, (flags & (1ul << 7)) != 0);

    public void Write(PhysicalMemory memory, ulong[] entries)
    {
        for (int i = 0; i < entries.Length; i++) memory.Write(EntryAddresses[i], EntrySize, entries[i]);
    }

    public ulong Read(PhysicalMemory memory, int level) => memory.Read(EntryAddresses[level], EntrySize);

    /// <summary>The control registers for this mode and <paramref name="cpu"/>.</summary>
    public PagingContext Context(RefCpu cpu)
    {
        ulong cr0 = Cr0.PE | Cr0.PG | (cpu.WriteProtect ? Cr0.WP : 0);
        ulong cr4 = (cpu.Pse ? Cr4.PSE : 0) | (Mode == RefMode.ThirtyTwoBit ? 0 : Cr4.PAE);
        ulong efer = (cpu.Nxe ? Efer.NXE : 0) | (Mode == RefMode.FourLevel ? Efer.LME | Efer.LMA : 0);
        return new PagingContext(cr0, Cr3, cr4, efer, cpu.MaxPhysAddr);
    }
}
