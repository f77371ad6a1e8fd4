using JitVirt.Frontend;

namespace JitVirt.Cpu.Execution;

/// <summary>
/// Decoded blocks keyed by guest-physical start address and code mode, with a per-frame index so a
/// write to a frame drops every block on it, and a direct-mapped jump cache from linear RIP to
/// block per translation tag (the running guest's ASID or VPID, 0 for none: Cpu.TranslationTag).
/// A TLB flush clears only the current tag's jump cache, as a tagged TLB flushes only the current
/// ASID's entries (AMD APM vol.2 §15.16); a tag switch selects another cache and clears nothing,
/// so address-space switches never decode or compile again: blocks, and the compiled code keyed by
/// them, are found again by physical address.
/// </summary>
public sealed class BlockCache
{
    const int JumpCacheSize = 4096;

    /// <summary>Jump caches kept for tags other than the current one; beyond this all but the current are dropped.</summary>
    const int MaxTags = 64;

    readonly Dictionary<(ulong Physical, CodeMode Mode), DecodedBlock> _blocks = new();
    readonly Dictionary<ulong, List<DecodedBlock>> _byFrame = new();
    readonly Dictionary<uint, JumpTable> _jumpByTag = new();
    JumpTable _jump = new();
    uint _tag;

    public BlockCache() => _jumpByTag[0] = _jump;

    struct JumpEntry
    {
        public ulong Linear;
        public int Key; // code mode | user << 8
        public uint Generation;
        public DecodedBlock? Block;
    }

    /// <summary>
    /// One tag's jump cache. A flush bumps <see cref="Generation"/> instead of clearing the 96 KiB array:
    /// VMX without VPID flushes on every VM entry and exit (SDM vol.3C §29.4.3.1), and clearing cost ~2 µs
    /// per exit (decision 0004). The array is really cleared only when the generation wraps.
    /// </summary>
    sealed class JumpTable
    {
        public readonly JumpEntry[] Entries = new JumpEntry[JumpCacheSize];
        public uint Generation = 1;

        public void Flush()
        {
            if (++Generation != 0) return;
            Array.Clear(Entries);
            Generation = 1;
        }
    }

    /// <summary>Raised for every block dropped (its frame written, or everything cleared); compiled code linked to it must go too.</summary>
    public event Action<DecodedBlock>? BlockInvalidated;

    public long BlocksDecoded { get; private set; }
    public long BlocksInvalidated { get; private set; }
    public int Count => _blocks.Count;

    /// <summary>The translation tag whose jump cache is in use.</summary>
    public uint Tag => _tag;

    public DecodedBlock? LookupLinear(ulong linear, CodeMode mode, bool user)
    {
        var table = _jump;
        ref var e = ref table.Entries[Index(linear)];
        if (e.Block is { IsValid: true } b && e.Linear == linear && e.Key == JumpKey(mode, user) && e.Generation == table.Generation) return b;
        return null;
    }

    /// <summary>Selects the jump cache of <paramref name="tag"/> (Cpu.TranslationTagChanged); the other tags' caches stay.</summary>
    public void SwitchTag(uint tag)
    {
        if (tag == _tag) return;
        if (!_jumpByTag.TryGetValue(tag, out var jump))
        {
            if (_jumpByTag.Count >= MaxTags)
            {
                _jumpByTag.Clear();
                _jumpByTag[_tag] = _jump;
            }
            _jumpByTag[tag] = jump = new JumpTable();
        }
        _jump = jump;
        _tag = tag;
    }

    public void RememberLinear(ulong linear, CodeMode mode, bool user, DecodedBlock block)
    {
        var table = _jump;
        ref var e = ref table.Entries[Index(linear)];
        e.Linear = linear;
        e.Key = JumpKey(mode, user);
        e.Generation = table.Generation;
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
            BlockInvalidated?.Invoke(b);
            if (_blocks.TryGetValue((b.PhysicalAddress, b.Mode), out var cur) && ReferenceEquals(cur, b))
                _blocks.Remove((b.PhysicalAddress, b.Mode));
        }
    }

    /// <summary>The current tag's linear-to-physical mappings may have changed: forget its linear lookups (the blocks stay).</summary>
    public void FlushJumpCache() => _jump.Flush();

    /// <summary>Drops every block and every tag's jump cache.</summary>
    public void Clear()
    {
        foreach (var b in _blocks.Values)
        {
            b.IsValid = false;
            BlockInvalidated?.Invoke(b);
        }
        _blocks.Clear();
        _byFrame.Clear();
        foreach (var jump in _jumpByTag.Values) Array.Clear(jump.Entries); // rare: also lets the dropped blocks be collected
    }

    static int Index(ulong linear) => (int)((linear ^ (linear >> 12)) & (JumpCacheSize - 1));
    static int JumpKey(CodeMode mode, bool user) => (int)mode | (user ? 0x100 : 0);
}
