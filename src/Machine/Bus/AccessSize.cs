namespace JitVirt.Machine.Bus;

/// <summary>Masks for 1-, 2-, 4- and 8-byte bus accesses. An open (undriven) bus reads as all ones.</summary>
public static class AccessSize
{
    /// <summary>All-ones value of an access of <paramref name="size"/> bytes (1, 2, 4 or 8).</summary>
    public static ulong Mask(int size) => size >= 8 ? ulong.MaxValue : (1UL << (size * 8)) - 1;

    /// <summary>All-ones value of a port access of <paramref name="size"/> bytes (1, 2 or 4).</summary>
    public static uint PortMask(int size) => (uint)Mask(size);
}
