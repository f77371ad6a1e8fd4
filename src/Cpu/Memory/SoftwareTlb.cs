using System.Runtime.CompilerServices;

namespace JitVirt.Cpu.Memory;

/// <summary>
/// A direct-mapped software TLB: linear page → host pointer of the guest RAM frame, one table per
/// access kind and privilege (supervisor/user) so a hit needs no permission check. Only frames of
/// plain RAM are entered; for MMIO, ROM, and (for the write table) frames holding decoded code or
/// watched page tables, the entry keeps the physical frame with <see cref="SlowPath"/> set so the
/// access is routed through the checked slow path without walking the page tables again.
/// </summary>
/// <remarks>
/// A tag is the linear page (bits 63:12) | the <see cref="Generation"/> it was filled in (bits 11:1)
/// | <see cref="SlowPath"/> (bit 0). A hit compares against page | current generation, so
/// <see cref="FlushAll"/> only advances the generation; the tables are cleared for real once every
/// 2047 flushes, when the generation wraps. Generation 0 is never current: a tag of 0 is empty.
/// </remarks>
public sealed unsafe class SoftwareTlb
{
    public const int Entries = 1024;
    const int IndexMask = Entries - 1;

    /// <summary>Tag bit: the entry is valid but must take the slow path.</summary>
    public const ulong SlowPath = 1;

    /// <summary>Tag bits 11:1 hold the generation; it advances by 2 so bit 0 stays free.</summary>
    const ulong GenerationStep = 2, GenerationMask = 0xFFE;
    const ulong Invalid = 0;

    public struct Entry
    {
        /// <summary>Linear page address | generation | SlowPath; 0 when empty.</summary>
        public ulong Tag;
        /// <summary>Host pointer of the frame minus the linear page address (add the linear address to access).</summary>
        public nint HostAddend;
        public ulong PhysicalFrame;
    }

    // [kind * 2 + user][index]
    readonly Entry[][] _tables = new Entry[6][];

    /// <summary>Write entries filled since the last whole flush (index | Entries when user), so <see cref="FlushWritesToFrame"/> usually scans only those.</summary>
    const int RecentWriteFills = 32;
    readonly int[] _recentWriteFills = new int[RecentWriteFills];
    int _recentWriteFillCount; // beyond RecentWriteFills: too many to track, scan everything

    /// <summary>The current generation (bits 11:1 of a valid tag); OR it into the page to compare.</summary>
    public ulong Generation = GenerationStep;

    /// <summary>Statistics: tables actually cleared (generation wraps and construction).</summary>
    public long FullClears { get; private set; }

    public SoftwareTlb()
    {
        for (int i = 0; i < _tables.Length; i++) _tables[i] = new Entry[Entries];
        ClearAll();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Entry[] Table(AccessKind kind, bool user) => _tables[(int)kind * 2 + (user ? 1 : 0)];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int IndexOf(ulong linear) => (int)(linear >> 12) & IndexMask;

    public void Fill(AccessKind kind, bool user, ulong linearPage, ulong physicalFrame, byte* hostFrame)
    {
        int index = IndexOf(linearPage);
        ref var e = ref Table(kind, user)[index];
        e.PhysicalFrame = physicalFrame;
        if (kind == AccessKind.Write)
        {
            if (_recentWriteFillCount < RecentWriteFills) _recentWriteFills[_recentWriteFillCount] = index | (user ? Entries : 0);
            _recentWriteFillCount++;
        }
        if (hostFrame != null)
        {
            e.Tag = linearPage | Generation;
            e.HostAddend = (nint)hostFrame - (nint)linearPage;
        }
        else
        {
            e.Tag = linearPage | Generation | SlowPath;
            e.HostAddend = 0;
        }
    }

    /// <summary>Invalidates every entry: O(1) except when the generation wraps.</summary>
    public void FlushAll()
    {
        Generation = (Generation + GenerationStep) & GenerationMask;
        _recentWriteFillCount = 0;
        if (Generation == 0) ClearAll();
    }

    void ClearAll()
    {
        foreach (var t in _tables) Array.Clear(t);
        Generation = GenerationStep;
        _recentWriteFillCount = 0;
        FullClears++;
    }

    /// <summary>True when the table for (<paramref name="kind"/>, <paramref name="user"/>) holds a current entry for the page of <paramref name="linear"/>.</summary>
    public bool Holds(AccessKind kind, bool user, ulong linear) =>
        (Table(kind, user)[IndexOf(linear)].Tag & ~SlowPath) == ((linear & ~0xFFFul) | Generation);

    public void FlushPage(ulong linear)
    {
        int idx = IndexOf(linear);
        ulong tag = (linear & ~0xFFFul) | Generation;
        foreach (var t in _tables)
            if ((t[idx].Tag & ~SlowPath) == tag) t[idx].Tag = Invalid;
    }

    /// <summary>Drops write entries that point at <paramref name="physicalFrame"/> (the frame now holds code or a watched page table).</summary>
    public void FlushWritesToFrame(ulong physicalFrame)
    {
        if (_recentWriteFillCount <= RecentWriteFills)
        {
            // Every current write entry was filled since the last whole flush, so it is in the list.
            for (int i = 0; i < _recentWriteFillCount; i++)
            {
                int slot = _recentWriteFills[i];
                ref var e = ref Table(AccessKind.Write, slot >= Entries)[slot & IndexMask];
                if ((e.Tag & GenerationMask) == Generation && e.PhysicalFrame == physicalFrame) e.Tag = Invalid;
            }
            return;
        }
        for (int u = 0; u < 2; u++)
        {
            var t = Table(AccessKind.Write, u == 1);
            for (int i = 0; i < t.Length; i++)
                if ((t[i].Tag & GenerationMask) == Generation && t[i].PhysicalFrame == physicalFrame) t[i].Tag = Invalid;
        }
    }
}
