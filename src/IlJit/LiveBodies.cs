using JitVirt.Frontend;

namespace JitVirt.IlJit;

/// <summary>
/// The compiled bodies in use, keyed by their decoded block, at most <see cref="Capacity"/> of
/// them: past it, the least recently entered eighth (by <see cref="CompiledBlock.LastRun"/>, which
/// every body writes on entry, chained entries included) is evicted, each unlinked from every slot
/// that leads to it and from its own successors, so the set of DynamicMethods the GC tracks stays
/// bounded. An evicted block stays decoded and runs interpreted until it is hot again.
/// </summary>
sealed class LiveBodies
{
    readonly Dictionary<DecodedBlock, CompiledBlock> _bodies = new(ReferenceEqualityComparer.Instance);
    readonly Action<CompiledBlock> _evicted;

    public LiveBodies(int capacity, Action<CompiledBlock> evicted)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity));
        Capacity = capacity;
        _evicted = evicted;
    }

    public int Capacity { get; }
    public int Count => _bodies.Count;
    public long Evicted { get; private set; }

    public IReadOnlyCollection<CompiledBlock> All => _bodies.Values;

    public bool TryGet(DecodedBlock block, out CompiledBlock compiled) => _bodies.TryGetValue(block, out compiled!);

    public bool Contains(DecodedBlock block) => _bodies.ContainsKey(block);

    public void Add(CompiledBlock compiled)
    {
        _bodies.Add(compiled.Block, compiled);
        if (_bodies.Count > Capacity) EvictLeastRecentlyRun();
    }

    /// <summary>Drops the body of <paramref name="block"/>, if it has one, unlinked from everything; returns it.</summary>
    public CompiledBlock? Remove(DecodedBlock block)
    {
        if (!_bodies.Remove(block, out var compiled)) return null;
        Unlink(compiled);
        return compiled;
    }

    /// <summary>Nothing jumps into <paramref name="compiled"/> any more, and it jumps nowhere.</summary>
    static void Unlink(CompiledBlock compiled)
    {
        foreach (var slot in compiled.Incoming)
            if (ReferenceEquals(slot.Target, compiled)) slot.Unlink();
        compiled.Incoming.Clear();
        foreach (var slot in compiled.Slots)
        {
            slot.Target?.Incoming.Remove(slot);
            slot.Unlink();
        }
    }

    /// <summary>Evicts the eighth of the bodies (at least one) entered longest ago, so eviction runs once per Capacity/8 installs.</summary>
    void EvictLeastRecentlyRun()
    {
        var all = _bodies.Values.ToArray();
        var lastRun = Array.ConvertAll(all, c => c.LastRun);
        Array.Sort(lastRun, all);
        int count = Math.Max(1, _bodies.Count - Capacity + Capacity / 8);
        for (int k = 0; k < count && k < all.Length; k++)
        {
            _bodies.Remove(all[k].Block);
            Unlink(all[k]);
            Evicted++;
            _evicted(all[k]);
        }
    }
}
