namespace JitVirt.Mmu.Shadow;

/// <summary>A parent spte pointing at a shadow page: the parent page and the entry index in it.</summary>
public readonly record struct ParentLink(ShadowPage Page, int Index);

/// <summary>
/// One shadow table (KVM 2.6.20: <c>struct kvm_mmu_page</c> with its 4 KiB of sptes): 512 8-byte
/// entries shadowing (part of) the guest table in <see cref="GuestFrame"/> under <see cref="Role"/>,
/// the child pages of an upper-level table, the parent entries that point here (KVM's
/// <c>parent_pte</c> / <c>pte_chain</c>), how many root slots pin it, and its place in the LRU list.
/// </summary>
public sealed class ShadowPage
{
    public const int EntryCount = 512;

    public readonly ulong[] Sptes = new ulong[EntryCount];

    /// <summary>Child tables of an upper-level page (null entries: not present); allocated the first time the page is used above level 1.</summary>
    public ShadowPage?[]? Children;

    public readonly List<ParentLink> Parents = new(1);

    /// <summary>Guest frame number of the table shadowed (or, when metaphysical, a pseudo frame: the large page's 2 MiB piece or the CR3 frame).</summary>
    public ulong GuestFrame;

    public ShadowPageRole Role;

    /// <summary>Root slots that hold this page (KVM's <c>root_count</c>): a pinned root is never reclaimed.</summary>
    public int RootCount;

    /// <summary>Present leaf sptes (level 1) or present links (upper levels).</summary>
    public int PresentCount;

    internal ShadowPage? LruPrevious, LruNext;

    public int Level => Role.Level;

    public override string ToString() => $"gfn {GuestFrame:X} level {Role.Level} q{Role.Quadrant}{(Role.Metaphysical ? " meta" : "")}";
}
