using JitVirt.Cpu.Memory;
using JitVirt.Mmu.Tests.Reference;
using JitVirt.Mmu.Tests.Support;
using JitVirt.Mmu.Walker;
using Xunit;
using Xunit.Abstractions;
using static JitVirt.Mmu.Tests.Support.Walks;
using Format = JitVirt.Mmu.Tests.Reference.SdmPagingModel.Format;

namespace JitVirt.Mmu.Tests;

/// <summary>
/// Every bit of every entry format, set alone on a valid entry: RSVD exactly for the bits the
/// SDM tables reserve (reference: <see cref="SdmPagingModel.Reserved"/>), with MAXPHYADDR = 36
/// and 40, NXE = 0 and 1. Bits that would change the walk's shape are left out: P, the PS flag of
/// a PDE (tested with the large pages) and the table address of an entry that references a table.
/// </summary>
public sealed class ReservedBitTests(ITestOutputHelper output)
{
    sealed record Shape(RefMode Mode, bool Large, ulong[] Flags);

    static readonly Shape[] Shapes =
    [
        new(RefMode.ThirtyTwoBit, true, [P | RW | US | A | D | PS]),
        new(RefMode.ThirtyTwoBit, false, [P | RW | US | A, P | RW | US | A | D]),
        new(RefMode.Pae, true, [P, P | RW | US | A | D | PS]),
        new(RefMode.Pae, false, [P, P | RW | US | A, P | RW | US | A | D]),
        new(RefMode.FourLevel, true, [P | RW | US | A, P | RW | US | A, P | RW | US | A | D | PS]),
        new(RefMode.FourLevel, false, [P | RW | US | A, P | RW | US | A, P | RW | US | A, P | RW | US | A | D]),
    ];

    [Theory]
    [InlineData(36)]
    [InlineData(40)]
    public void Exactly_the_reserved_bits_of_each_format_fault_with_RSVD(int maxPhysAddr)
    {
        int checkedBits = 0, reservedSeen = 0;
        foreach (var shape in Shapes)
        foreach (bool nxe in new[] { false, true })
        {
            var cpu = new RefCpu(WriteProtect: true, Nxe: nxe, Pse: true, MaxPhysAddr: maxPhysAddr);
            using var w = new Walks(shape.Mode, cpu);
            Format[] formats = SdmPagingModel.FormatsFor(shape.Mode, cpu, w.Set(shape.Flags));
            for (int level = 0; level < formats.Length; level++)
            {
                ulong reserved = SdmPagingModel.Reserved(formats[level], cpu);
                bool leaf = level == formats.Length - 1;
                for (int bit = 1; bit < w.Layout.EntrySize * 8; bit++)
                {
                    if (ChangesShape(shape.Mode, level, leaf, bit, maxPhysAddr)) continue;
                    var flags = (ulong[])shape.Flags.Clone();
                    flags[level] |= 1ul << bit;
                    w.Set(flags);
                    var r = w.Walk(AccessKind.Read);
                    bool expectRsvd = (reserved >> bit & 1) != 0;
                    checkedBits++;
                    if (expectRsvd) reservedSeen++;
                    string what = $"{shape.Mode} {formats[level]} bit {bit} MAXPHYADDR={maxPhysAddr} NXE={nxe}";
                    if (expectRsvd)
                    {
                        Assert.False(r.Succeeded, what);
                        Assert.True(r.ErrorCode == (PageFaultErrorCode.Present | PageFaultErrorCode.ReservedBit), what);
                        Assert.Equal(level + 1, r.Path.Count);
                    }
                    else Assert.True(r.Succeeded, what);
                }
            }
        }
        output.WriteLine($"MAXPHYADDR={maxPhysAddr}: {checkedBits} entry bits checked, {reservedSeen} of them reserved");
    }

    /// <summary>P; PS of a PDE that can map a page; address bits of an entry that references a table.</summary>
    static bool ChangesShape(RefMode mode, int level, bool leaf, int bit, int maxPhysAddr)
    {
        bool pdeLevel = level == (mode == RefMode.ThirtyTwoBit ? 0 : mode == RefMode.Pae ? 1 : 2);
        if (bit == 7 && pdeLevel) return true;
        if (leaf) return false;
        int top = mode == RefMode.ThirtyTwoBit ? 31 : maxPhysAddr - 1;
        return bit >= 12 && bit <= top;
    }

    [Fact]
    public void Reserved_bit_fault_reports_the_access_in_W_U_and_I_D()
    {
        using var w = new Walks(RefMode.FourLevel);
        w.Set(P | RW | US, P | RW | US, P | RW | US, P | RW | US | (1ul << 40));
        var r = w.Walk(AccessKind.Execute, user: true);
        Assert.Equal(PageFaultErrorCode.Present | PageFaultErrorCode.ReservedBit | PageFaultErrorCode.User | PageFaultErrorCode.InstructionFetch, r.ErrorCode);
        r = w.Walk(AccessKind.Write, user: false);
        Assert.Equal(PageFaultErrorCode.Present | PageFaultErrorCode.ReservedBit | PageFaultErrorCode.Write, r.ErrorCode);
    }

    [Fact]
    public void Reserved_bits_are_not_checked_in_a_not_present_entry()
    {
        using var w = new Walks(RefMode.FourLevel);
        w.Set(P | RW | US, P | RW | US, ulong.MaxValue & ~P);
        var r = w.Walk(AccessKind.Write);
        Assert.False(r.Succeeded);
        Assert.Equal(PageFaultErrorCode.Write, r.ErrorCode);
    }

    [Fact]
    public void A_reserved_bit_beats_a_protection_violation_at_another_level()
    {
        // The PDE forbids user accesses, the PTE sets a reserved bit: RSVD is reported, not a rights fault.
        using var w = new Walks(RefMode.Pae);
        w.Set(P, P | RW, P | RW | US | (1ul << 62));
        var r = w.Walk(AccessKind.Read, user: true);
        Assert.Equal(PageFaultErrorCode.Present | PageFaultErrorCode.ReservedBit | PageFaultErrorCode.User, r.ErrorCode);
    }

    [Fact]
    public void Pae_PDE_and_PTE_reserve_bits_62_to_52_which_4_level_paging_ignores()
    {
        foreach (int bit in new[] { 52, 58, 62 })
        {
            using var pae = new Walks(RefMode.Pae);
            pae.Set(P, P | RW | US, P | RW | US | (1ul << bit));
            Assert.Equal(PageFaultErrorCode.Present | PageFaultErrorCode.ReservedBit, pae.Walk(AccessKind.Read).ErrorCode);

            using var fourLevel = new Walks(RefMode.FourLevel);
            fourLevel.Set(P | RW | US, P | RW | US, P | RW | US, P | RW | US | (1ul << bit));
            Assert.True(fourLevel.Walk(AccessKind.Read).Succeeded);
        }
    }

    [Fact]
    public void The_translator_takes_MAXPHYADDR_from_its_constructor()
    {
        Assert.Equal(36, new GuestPageWalker().MaxPhysicalAddress);
        Assert.Equal(40, new GuestPageWalker(40).MaxPhysicalAddress);
        Assert.Throws<ArgumentOutOfRangeException>(() => new GuestPageWalker(53));
    }
}
