namespace JitVirt.Mmu.Shadow;

/// <summary>
/// The bits of a shadow entry (spte). Shadow tables always use the 8-byte format, as KVM's did
/// (32-bit guests are shadowed with PAE-style tables). An upper-level spte is Present plus the
/// child's guest frame (the child object itself is in <see cref="ShadowPage.Children"/>); rights
/// are enforced only at the leaf, which maps one 4 KiB guest frame:
/// <list type="bullet">
/// <item>bit 0 P, bit 2 U (every guest level had U/S = 1), bit 6 D (the guest leaf entry is dirty), bit 63 NX;</item>
/// <item>bit 1 W: writes may hit: the guest allows them (bit 10), the guest entry is dirty (a write to a clean
/// page must walk to set D, SDM vol.3 §5.8) and the frame is not a shadowed page table (KVM's
/// <c>rmap_write_protect</c>: such writes take the emulation path so the shadow sees them);</item>
/// <item>bit 10 guest-writable (KVM's <c>PT_SHADOW_WRITABLE</c>): R/W = 1 at every guest level;</item>
/// <item>bits 51:12 the guest-physical frame.</item>
/// </list>
/// </summary>
public static class ShadowPte
{
    public const ulong Present = 1ul << 0;
    public const ulong Writable = 1ul << 1;
    public const ulong User = 1ul << 2;
    public const ulong Dirty = 1ul << 6;
    public const ulong GuestWritable = 1ul << 10;
    public const ulong NoExecute = 1ul << 63;
    public const ulong FrameMask = 0x000F_FFFF_FFFF_F000;
}
