using System.Runtime.CompilerServices;
using JitVirt.Cpu.Memory;
using JitVirt.Mmu.Walker;
using CpuCore = JitVirt.Cpu.Cpu;

namespace JitVirt.Mmu.Shadow;

/// <summary>
/// Shadow MMU (KVM 2006: mmu.c + paging_tmpl.h). Guest translations are cached in shadow page
/// tables (<see cref="ShadowPage"/>, 512 8-byte entries each) that mirror the guest's tables and are
/// found by a hash on (guest frame, <see cref="ShadowPageRole"/>); they are built lazily by the
/// shadow fault (<see cref="GuestPageWalker.Walk"/> then fetch), one root per (tag, CR3, role) with
/// the recent roots of each tag kept (<see cref="MaxRootsPerTag"/>), so switching back to a recent
/// CR3 reuses its pages. Guest frames holding shadowed tables are write-protected
/// (<see cref="PhysicalMemory.WatchPageTableFrame"/>): every store to them reaches
/// <see cref="OnPageTableFrameWritten"/> (<c>kvm_mmu_pre_write</c>), which clears the sptes
/// shadowing the bytes written, or zaps whole pages for misaligned or flooding writes.
/// </summary>
/// <remarks>
/// The executor's software TLB is filled from <see cref="Translate"/>; the CPU never gives a
/// watched frame a writable host pointer (<see cref="PhysicalMemory.IsWatchedFrame"/>), and this
/// MMU drops the write entries of a frame when it starts watching it, so no guest store bypasses
/// the write protection. Whenever a present spte goes, the CPU's software TLB is flushed whole
/// (O(1): a generation bump), as KVM flushed the hardware TLB.
/// </remarks>
public sealed partial class ShadowMmu : IAddressTranslator
{
    /// <summary>Roots cached per tag: the current one plus three previous (later KVM's KVM_MMU_NUM_PREV_ROOTS + 1).</summary>
    public const int MaxRootsPerTag = 4;

    /// <summary>Default shadow-page limit (2.6.20 had 256 per VM; a host page each here too, with more memory).</summary>
    public const int DefaultMaxShadowPages = 4096;

    const ulong PageOffsetMask = 0xFFF;

    readonly PhysicalMemory _memory;
    CpuCore? _cpu;

    /// <summary>True while this MMU's own walk sets accessed/dirty flags (those writes take no rights away).</summary>
    bool _walking;

    /// <summary>True while this MMU flushes the CPU's TLB itself, so the CPU's callback into <see cref="Invalidate"/> is ignored.</summary>
    bool _selfFlush;

    public ShadowMmu(PhysicalMemory memory, int maxPhysicalAddress = PagingContext.DefaultMaxPhysicalAddress, int maxShadowPages = DefaultMaxShadowPages)
    {
        _ = new PagingContext(0, 0, 0, 0, maxPhysicalAddress); // validates MAXPHYADDR
        ArgumentOutOfRangeException.ThrowIfLessThan(maxShadowPages, 64);
        _memory = memory;
        MaxPhysicalAddress = maxPhysicalAddress;
        MaxShadowPages = maxShadowPages;
        memory.PageTableFrameWritten += OnPageTableFrameWritten;
    }

    public int MaxPhysicalAddress { get; }

    /// <summary>Shadow pages kept at most; beyond it the least recently used unpinned pages are reclaimed.</summary>
    public int MaxShadowPages { get; }

    /// <summary>Address-space tag (ASID/VPID) translations are made for; set through <see cref="SetTag"/> by the CPU, 0 for the plain CPU.</summary>
    public uint CurrentTag { get; set; }

    public ShadowMmuStatistics Statistics { get; } = new();

    /// <summary>Leaf sptes held by the reverse map.</summary>
    public long ReverseMapEntries => _rmap.Count;

    /// <summary>Present leaf sptes over every shadow page.</summary>
    public long ShadowEntriesInUse { get; private set; }

    /// <summary>Shadow pages allocated (roots, tables, large-page splits, orphans kept for reuse).</summary>
    public int ShadowPagesInUse => _hash.Count;

    /// <summary>Guest frames currently write-protected because a shadow page shadows them.</summary>
    public int WatchedPageTableFrames => _pagesByFrame.Count;

    public void SetTag(uint tag) => CurrentTag = tag;

    public bool Translate(CpuCore cpu, ulong linear, AccessKind kind, bool user, out ulong physical, out uint pageFaultErrorCode)
    {
        _cpu = cpu;
        var context = new PagingContext(cpu.Cr0, cpu.Cr3, cpu.Cr4, cpu.Efer, MaxPhysicalAddress);
        if (context.Mode == PagingMode.None)
        {
            physical = linear & 0xFFFF_FFFF;
            pageFaultErrorCode = 0;
            return true;
        }
        // 32-bit and PAE paging translate 32-bit linear addresses (SDM vol.3 §5.3, §5.4).
        if (context.Mode != PagingMode.FourLevel) linear &= 0xFFFF_FFFF;
        ShadowPage root = RootFor(in context);
        ulong spte = LeafOf(root, linear);
        if (Allows(spte, kind, user))
        {
            Statistics.Hits++;
            _tlbMayHoldShadowEntries = true;
            physical = (spte & ShadowPte.FrameMask) | (linear & PageOffsetMask);
            pageFaultErrorCode = 0;
            return true;
        }
        return ShadowFault(root, in context, linear, kind, user, out physical, out pageFaultErrorCode);
    }

    /// <summary>Index of <paramref name="linear"/> in a shadow table of <paramref name="level"/>: 9 bits per level from bit 12.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static int IndexAt(ulong linear, int level) => (int)(linear >> (3 + 9 * level)) & (ShadowPage.EntryCount - 1);

    /// <summary>The leaf spte for <paramref name="linear"/> under <paramref name="root"/>, or 0 when a level is missing.</summary>
    static ulong LeafOf(ShadowPage root, ulong linear)
    {
        ShadowPage page = root;
        for (int level = root.Level; level > 1; level--)
        {
            ShadowPage? child = page.Children?[IndexAt(linear, level)];
            if (child is null) return 0;
            page = child;
        }
        return page.Sptes[IndexAt(linear, 1)];
    }

    /// <summary>Whether a leaf spte lets the access through without a guest walk (rights as in SDM vol.3 §5.6; writes need W).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static bool Allows(ulong spte, AccessKind kind, bool user)
    {
        if ((spte & ShadowPte.Present) == 0) return false;
        if (user && (spte & ShadowPte.User) == 0) return false;
        return kind switch
        {
            AccessKind.Read => true,
            AccessKind.Write => (spte & ShadowPte.Writable) != 0,
            _ => (spte & ShadowPte.NoExecute) == 0,
        };
    }
}
