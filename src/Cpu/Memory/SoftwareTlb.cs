using System.Runtime.CompilerServices;

namespace JitVirt.Cpu.Memory;

/// <summary>
/// A direct-mapped software TLB: linear page → host pointer of the guest RAM frame, one table per
/// access kind and privilege (supervisor/user) so a hit needs no permission check. Only frames of
/// plain RAM are entered; for MMIO, ROM, and (for the write table) frames holding decoded code,
/// the entry keeps the physical frame with <see cref="SlowPath"/> set so the access is routed
/// through the checked slow path without walking the page tables again.
/// </summary>
public sealed unsafe class SoftwareTlb
{
    public const int Entries = 1024;
    const int IndexMask = Entries - 1;

    /// <summary>Tag bit: the entry is valid but must take the slow path.</summary>
    public const ulong SlowPath = 1;
    const ulong Invalid = ulong.MaxValue;

    public struct Entry
    {
        /// <summary>Linear page address (low 12 bits clear), | SlowPath; all ones when empty.</summary>
        public ulong Tag;
        /// <summary>Host pointer of the frame minus the linear page address (add the linear address to access).</summary>
        public nint HostAddend;
        public ulong PhysicalFrame;
    }

    // [kind * 2 + user][index]
    readonly Entry[][] _tables = new Entry[6][];

    public SoftwareTlb()
    {
        for (int i = 0; i < _tables.Length; i++) _tables[i] = new Entry[Entries];
        FlushAll();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Entry[] Table(AccessKind kind, bool user) => _tables[(int)kind * 2 + (user ? 1 : 0)];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int IndexOf(ulong linear) => (int)(linear >> 12) & IndexMask;

    public void Fill(AccessKind kind, bool user, ulong linearPage, ulong physicalFrame, byte* hostFrame)
    {
        ref var e = ref Table(kind, user)[IndexOf(linearPage)];
        e.PhysicalFrame = physicalFrame;
        if (hostFrame != null)
        {
            e.Tag = linearPage;
            e.HostAddend = (nint)hostFrame - (nint)linearPage;
        }
        else
        {
            e.Tag = linearPage | SlowPath;
            e.HostAddend = 0;
        }
    }

    public void FlushAll()
    {
        foreach (var t in _tables) for (int i = 0; i < t.Length; i++) t[i].Tag = Invalid;
    }

    public void FlushPage(ulong linear)
    {
        int idx = IndexOf(linear);
        ulong page = linear & ~0xFFFul;
        foreach (var t in _tables)
            if ((t[idx].Tag & ~SlowPath) == page) t[idx].Tag = Invalid;
    }

    /// <summary>Drops write entries that point at <paramref name="physicalFrame"/> (the frame now holds code).</summary>
    public void FlushWritesToFrame(ulong physicalFrame)
    {
        for (int u = 0; u < 2; u++)
        {
            var t = Table(AccessKind.Write, u == 1);
            for (int i = 0; i < t.Length; i++)
                if (t[i].Tag != Invalid && t[i].PhysicalFrame == physicalFrame) t[i].Tag = Invalid;
        }
    }
}
