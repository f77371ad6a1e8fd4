using JitVirt.Cpu.Memory;
using JitVirt.Mmu.Walker;
using Cr0Bits = JitVirt.Cpu.State.Cr0;
using Cr4Bits = JitVirt.Cpu.State.Cr4;
using EferBits = JitVirt.Cpu.State.Efer;
using Processor = JitVirt.Cpu.Cpu;

namespace JitVirt.ShadowMmu.Tests.Support;

/// <summary>
/// Builds guest paging structures in guest RAM for one paging mode (SDM vol.3 §5.3–§5.5) and
/// sets a processor's control registers for it. Tables are allocated from <see cref="TableBase"/> up.
/// </summary>
public sealed class GuestTables
{
    public const ulong TableBase = 0x10_0000;
    public const ulong P = PageTableEntry.Present, RW = PageTableEntry.ReadWrite, US = PageTableEntry.UserSupervisor;
    public const ulong A = PageTableEntry.Accessed, D = PageTableEntry.Dirty, PS = PageTableEntry.PageSize, XD = PageTableEntry.ExecuteDisable;

    readonly PhysicalMemory _memory;
    ulong _next;

    public GuestTables(PhysicalMemory memory, PagingMode mode, ulong tableBase = TableBase)
    {
        _memory = memory;
        _next = tableBase;
        Mode = mode;
        Root = NewTable();
    }

    public PagingMode Mode { get; }
    public ulong Root { get; }
    public List<ulong> TableFrames { get; } = new();

    public int EntrySize => Mode == PagingMode.ThirtyTwoBit ? 4 : 8;

    /// <summary>Levels of the walk, top first: 2 (32-bit), 3 (PAE: PDPT, PD, PT), 4.</summary>
    public int Levels => Mode switch { PagingMode.ThirtyTwoBit => 2, PagingMode.Pae => 3, _ => 4 };

    public ulong NewTable()
    {
        ulong frame = _next;
        _next += 0x1000;
        _memory.RamSpan(frame, 0x1000).Clear();
        TableFrames.Add(frame);
        return frame;
    }

    /// <summary>Address of the entry for <paramref name="linear"/> at <paramref name="level"/> (1 = PT) in <paramref name="table"/>.</summary>
    public ulong EntryAddress(ulong table, ulong linear, int level)
    {
        if (Mode == PagingMode.ThirtyTwoBit) return table + (((linear >> (12 + 10 * (level - 1))) & 0x3FF) << 2);
        // PAE: the PDPT is 4 entries indexed by bits 31:30 (§5.4.1); CR3 only 32-byte aligned.
        if (Mode == PagingMode.Pae && level == 3) return table + (((linear >> 30) & 3) << 3);
        return table + (((linear >> (12 + 9 * (level - 1))) & 0x1FF) << 3);
    }

    public ulong Read(ulong address) => _memory.Read(address, EntrySize);
    public void Write(ulong address, ulong entry) => _memory.Write(address, EntrySize, EntrySize == 4 ? entry & 0xFFFF_FFFF : entry);

    /// <summary>Maps the 4 KiB page at <paramref name="linear"/> to <paramref name="frame"/>, creating tables with <paramref name="tableFlags"/>.</summary>
    public ulong Map4K(ulong linear, ulong frame, ulong leafFlags, ulong tableFlags = P | RW | US)
    {
        ulong table = Root;
        for (int level = Levels; level > 1; level--)
        {
            ulong at = EntryAddress(table, linear, level);
            ulong e = Read(at);
            if ((e & P) == 0)
            {
                ulong t = NewTable();
                // PAE PDPTEs: RW, US and XD are reserved (Table 5-8); only P.
                Write(at, t | (Mode == PagingMode.Pae && level == 3 ? P : tableFlags));
                e = Read(at);
            }
            table = e & 0x000F_FFFF_FFFF_F000;
        }
        ulong pte = EntryAddress(table, linear, 1);
        Write(pte, frame | leafFlags);
        return pte;
    }

    /// <summary>Sets CR0/CR3/CR4/EFER of <paramref name="cpu"/> for this mode (without flushing).</summary>
    public void Apply(Processor cpu, bool writeProtect = true, bool nxe = true, bool pse = true)
    {
        cpu.Cr0 = Cr0Bits.PE | Cr0Bits.PG | Cr0Bits.ET | Cr0Bits.NE | (writeProtect ? Cr0Bits.WP : 0);
        cpu.Cr3 = Root;
        cpu.Cr4 = Mode == PagingMode.ThirtyTwoBit ? (pse ? Cr4Bits.PSE : 0) : Cr4Bits.PAE;
        cpu.Efer = (Mode == PagingMode.FourLevel ? EferBits.LME | EferBits.LMA : 0) | (nxe ? EferBits.NXE : 0);
    }
}
