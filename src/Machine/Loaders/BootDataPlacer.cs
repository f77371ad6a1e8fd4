namespace JitVirt.Machine.Loaders;

/// <summary>
/// Finds room for boot-time data (info structures, GDT, modules) in guest RAM that no image
/// segment or earlier placement occupies: the lowest fitting address at or after a floor.
/// </summary>
public sealed class BootDataPlacer
{
    /// <summary>Lowest address used in conventional memory: above the real-mode IVT and BIOS data area (0-0x4FF), page aligned.</summary>
    public const ulong LowFloor = 0x1000;

    private readonly GuestMemoryLayout _memory;
    private readonly List<(ulong Start, ulong End)> _occupied = [];

    public BootDataPlacer(GuestMemoryLayout memory, IEnumerable<GuestWrite> occupied)
    {
        _memory = memory;
        foreach (var w in occupied) Reserve(w.Address, w.End);
    }

    public void Reserve(ulong start, ulong end)
    {
        if (end > start) _occupied.Add((start, end));
    }

    /// <summary>The lowest free <paramref name="size"/> bytes at or above <paramref name="floor"/>, aligned; null when none fit.</summary>
    public ulong? TryPlace(ulong size, ulong alignment, ulong floor)
    {
        var candidates = new List<ulong> { AlignUp(floor, alignment), AlignUp(0x100000, alignment) };
        foreach (var (_, end) in _occupied) candidates.Add(AlignUp(end, alignment));
        candidates.Sort();
        foreach (ulong c in candidates)
        {
            if (c < floor || c + size < c || !_memory.IsUsableRam(c, c + size)) continue;
            bool free = true;
            foreach (var (s, e) in _occupied)
            {
                if (c < e && s < c + size) { free = false; break; }
            }
            if (!free) continue;
            Reserve(c, c + size);
            return c;
        }
        return null;
    }

    public static ulong AlignUp(ulong value, ulong alignment) => (value + alignment - 1) & ~(alignment - 1);
}
