namespace JitVirt.Mmu.Shadow;

/// <summary>A shadow entry named by its root and linear page.</summary>
public readonly record struct ShadowEntryRef(ShadowRoot Root, ulong LinearPage);

/// <summary>
/// KVM's rmap: from a guest frame number to the shadow entries that depend on it. Kept twice:
/// <see cref="PageTables"/> (entries whose guest walk read a paging-structure entry in the frame:
/// editing the frame may change them) and <see cref="Data"/> (entries that map the frame: when it
/// becomes a page table their writable CPU TLB entries must go).
/// </summary>
public sealed class ReverseMap
{
    public Dictionary<ulong, HashSet<ShadowEntryRef>> PageTables { get; } = new();
    public Dictionary<ulong, HashSet<ShadowEntryRef>> Data { get; } = new();

    /// <summary>Total references held in both maps.</summary>
    public long Count { get; private set; }

    /// <summary>Adds a reference; true when <paramref name="frame"/> had none in <paramref name="map"/> before.</summary>
    public bool Add(Dictionary<ulong, HashSet<ShadowEntryRef>> map, ulong frame, ShadowEntryRef entry)
    {
        bool first = false;
        if (!map.TryGetValue(frame, out var set))
        {
            map[frame] = set = new HashSet<ShadowEntryRef>();
            first = true;
        }
        if (set.Add(entry)) Count++;
        return first;
    }

    /// <summary>Removes a reference; true when <paramref name="frame"/> has none left in <paramref name="map"/>.</summary>
    public bool Remove(Dictionary<ulong, HashSet<ShadowEntryRef>> map, ulong frame, ShadowEntryRef entry)
    {
        if (!map.TryGetValue(frame, out var set)) return false;
        if (set.Remove(entry)) Count--;
        if (set.Count != 0) return false;
        map.Remove(frame);
        return true;
    }

    public void Clear()
    {
        PageTables.Clear();
        Data.Clear();
        Count = 0;
    }
}
