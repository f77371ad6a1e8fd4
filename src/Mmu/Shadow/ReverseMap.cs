namespace JitVirt.Mmu.Shadow;

/// <summary>A leaf spte named by its shadow page and index.</summary>
public readonly record struct SpteRef(ShadowPage Page, int Index);

/// <summary>
/// KVM's rmap: from a guest frame number to the leaf sptes that map it. When the frame becomes a
/// shadowed page table, its sptes lose W (<c>rmap_write_protect</c>) so writes to it take the
/// emulation path. 2.6.20 kept only writable sptes here; this keeps every present leaf, which
/// also gives the "rmap entries" counter its plain meaning.
/// </summary>
public sealed class ReverseMap
{
    readonly Dictionary<ulong, List<SpteRef>> _map = new();
    readonly Stack<List<SpteRef>> _spareLists = new();

    public long Count { get; private set; }

    public void Add(ulong frame, ShadowPage page, int index)
    {
        if (!_map.TryGetValue(frame, out var list))
            _map[frame] = list = _spareLists.Count != 0 ? _spareLists.Pop() : new List<SpteRef>(2);
        list.Add(new SpteRef(page, index));
        Count++;
    }

    public void Remove(ulong frame, ShadowPage page, int index)
    {
        if (!_map.TryGetValue(frame, out var list)) return;
        int i = list.IndexOf(new SpteRef(page, index));
        if (i < 0) return;
        // Move the last reference into the hole (as rmap_remove compacted its descriptors).
        list[i] = list[^1];
        list.RemoveAt(list.Count - 1);
        Count--;
        if (list.Count != 0) return;
        _map.Remove(frame);
        _spareLists.Push(list);
    }

    /// <summary>The sptes mapping <paramref name="frame"/>, or null.</summary>
    public List<SpteRef>? Of(ulong frame) => _map.TryGetValue(frame, out var list) ? list : null;

    public void Clear()
    {
        foreach (var list in _map.Values) { list.Clear(); _spareLists.Push(list); }
        _map.Clear();
        Count = 0;
    }
}
