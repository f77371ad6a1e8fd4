namespace JitVirt.Vmx;

/// <summary>
/// I/O bitmaps A (ports 0000–7FFF) and B (8000–FFFF), one 4 KiB page each, bit set = exit
/// (SDM vol.3C §25.6.4). An access of n bytes exits when any of its n port bits is set, and always
/// when it wraps past port FFFF (§26.1.3).
/// </summary>
public readonly struct IoBitmaps(HostMemory memory, ulong bitmapA, ulong bitmapB)
{
    public bool IsIntercepted(ushort port, int size)
    {
        if (port + size - 1 > 0xFFFF) return true;
        for (int p = port; p < port + size; p++)
            if (memory.ReadBit(p < 0x8000 ? bitmapA : bitmapB, p & 0x7FFF)) return true;
        return false;
    }

    /// <summary>Sets or clears the exit bit of one port (a VMM-side helper).</summary>
    public static void Set(HostMemory memory, ulong bitmapA, ulong bitmapB, ushort port, bool intercept)
        => memory.WriteBit(port < 0x8000 ? bitmapA : bitmapB, port & 0x7FFF, intercept);
}

/// <summary>
/// The MSR bitmap: one 4 KiB page of four 1 KiB quarters (SDM vol.3C §25.6.9): read-low at 0x000
/// (MSRs 0–1FFF), read-high at 0x400 (C0000000–C0001FFF), write-low at 0x800, write-high at 0xC00.
/// Bit set = exit; an MSR outside both ranges always exits (§26.1.3).
/// </summary>
public readonly struct MsrBitmap(HostMemory memory, ulong page)
{
    public const int ReadLowOffset = 0x000, ReadHighOffset = 0x400, WriteLowOffset = 0x800, WriteHighOffset = 0xC00;

    public bool IsIntercepted(uint msr, bool write)
    {
        int bit = BitOf(msr, write);
        return bit < 0 || memory.ReadBit(page, bit);
    }

    /// <summary>The bit number within the page for an MSR access, or −1 for an MSR no quarter covers.</summary>
    public static int BitOf(uint msr, bool write)
    {
        int quarter;
        if (msr <= 0x1FFF) quarter = write ? WriteLowOffset : ReadLowOffset;
        else if (msr - 0xC000_0000u <= 0x1FFF) quarter = write ? WriteHighOffset : ReadHighOffset;
        else return -1;
        return quarter * 8 + (int)(msr & 0x1FFF);
    }

    /// <summary>Sets or clears the exit bit of one MSR access (a VMM-side helper; ignores MSRs outside the ranges).</summary>
    public static void Set(HostMemory memory, ulong page, uint msr, bool write, bool intercept)
    {
        int bit = BitOf(msr, write);
        if (bit >= 0) memory.WriteBit(page, bit, intercept);
    }
}
