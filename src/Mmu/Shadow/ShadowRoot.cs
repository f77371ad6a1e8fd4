namespace JitVirt.Mmu.Shadow;

/// <summary>
/// The shadow translation structure for one (address-space tag, guest CR3, role) — KVM's root
/// shadow page. This slice keeps it flat: a dictionary from 4 KiB linear page to
/// <see cref="ShadowPte"/>, instead of a tree of shadow page tables mirroring the guest's.
/// </summary>
public sealed class ShadowRoot
{
    public ShadowRoot(int tag, ulong cr3, ShadowPageRole role)
    {
        Tag = tag;
        Cr3 = cr3;
        Role = role;
    }

    public int Tag { get; }
    public ulong Cr3 { get; }
    public ShadowPageRole Role { get; }

    /// <summary>Linear page → translation.</summary>
    public Dictionary<ulong, ShadowPte> Entries { get; } = new();

    /// <summary>Linear bases of guest large pages that have shadow entries here (for INVLPG).</summary>
    public HashSet<ulong> LargePageBases { get; } = new();

    /// <summary>Monotonic use stamp for least-recently-used eviction among a tag's cached roots.</summary>
    public long LastUsed { get; set; }

    public bool Matches(int tag, ulong cr3, ShadowPageRole role) => Tag == tag && Cr3 == cr3 && Role == role;
}
