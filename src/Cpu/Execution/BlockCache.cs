using JitVirt.Frontend;

namespace JitVirt.Cpu.Execution;

/// <summary>
/// Decoded blocks keyed by guest-physical start address and code mode, with a per-frame index so a
/// write to a frame drops every block on it, and a direct-mapped jump cache from linear RIP to
/// block that is cleared whenever linear-to-physical mappings may have changed (TLB flushes).
/// </summary>
public sealed class BlockCache
{
    const int JumpCacheSize = 4096;

    readonly Dictionary<(ulong Physical, CodeMode Mode), DecodedBlock> _blocks = new();
    readonly Dictionary<ulong, List<DecodedBlock>> _byFrame = new();
    readonly JumpEntry[] _jump = new JumpEntry[JumpCacheSize];

    struct JumpEntry
    {
        public ulong Linear;
        public int Key; // code mode | user << 8
        public DecodedBlock? Block;
    }

    public long BlocksDecoded { get; private set; }
    public long BlocksInvalidated { get; private set; }
    public int Count => _blocks.Count;

    public DecodedBlock? LookupLinear(ulong linear, CodeMode mode, bool user)
    {
        ref var e = ref _jump[Index(linear)];
        if (e.Block is { IsValid: true } b && e.Linear == linear && e.Key == JumpKey(mode, user)) return b;
        return null;
    }

    public void RememberLinear(ulong linear, CodeMode mode, bool user, DecodedBlock block)
    {
        ref var e = ref _jump[Index(linear)];
        e.Linear = linear;
        e.Key = JumpKey(mode, user);
        e.Block = block;
    }

    public DecodedBlock? LookupPhysical(ulong physical, CodeMode mode)
        => _blocks.TryGetValue((physical, mode), out var b) ? b : null;

    public void Add(DecodedBlock block)
    {
        BlocksDecoded++;
        _blocks[(block.PhysicalAddress, block.Mode)] = block;
        AddToFrame(block.FirstPhysicalPage, block);
        if (block.LastPhysicalPage != block.FirstPhysicalPage) AddToFrame(block.LastPhysicalPage, block);
    }

    void AddToFrame(ulong frame, DecodedBlock block)
    {
        if (!_byFrame.TryGetValue(frame, out var list)) _byFrame[frame] = list = new List<DecodedBlock>();
        list.Add(block);
    }

    /// <summary>Drops every block that has bytes on <paramref name="frame"/>.</summary>
    public void InvalidateFrame(ulong frame)
    {
        if (!_byFrame.Remove(frame, out var list)) return;
        foreach (var b in list)
        {
            if (!b.IsValid) continue;
            b.IsValid = false;
            BlocksInvalidated++;
            if (_blocks.TryGetValue((b.PhysicalAddress, b.Mode), out var cur) && ReferenceEquals(cur, b))
                _blocks.Remove((b.PhysicalAddress, b.Mode));
        }
    }

    /// <summary>Linear-to-physical mappings may have changed: forget the linear lookups (the blocks stay).</summary>
    public void FlushJumpCache() => Array.Clear(_jump);

    public void Clear()
    {
        foreach (var b in _blocks.Values) b.IsValid = false;
        _blocks.Clear();
        _byFrame.Clear();
        FlushJumpCache();
    }

    static int Index(ulong linear) => (int)((linear ^ (linear >> 12)) & (JumpCacheSize - 1));
    static int JumpKey(CodeMode mode, bool user) => (int)mode | (user ? 0x100 : 0);
}
