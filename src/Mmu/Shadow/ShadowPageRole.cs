using JitVirt.Mmu.Walker;

namespace JitVirt.Mmu.Shadow;

/// <summary>
/// What a shadow page stands for besides its guest frame (KVM 2.6.20: <c>union kvm_mmu_page_role</c>);
/// shadow pages are found by (guest frame, role). Packed in one word so the hash key is cheap:
/// <list type="bullet">
/// <item>bits 1:0 guest paging mode (KVM's <c>glevels</c>), bits 4:2 <see cref="Level"/> of this shadow table (1–4);</item>
/// <item>bits 11:5 <see cref="Quadrant"/>: which part of a bigger guest table the page shadows (32-bit guests:
/// a 1024-entry guest table is shadowed by 2 or 4 pages of 512 entries), or for a PAE root which
/// 32-byte PDPT of the frame CR3[11:5] selects (SDM vol.3 §5.4.1);</item>
/// <item>bit 12 <see cref="Metaphysical"/>: shadows no guest table (the 4 PAE-style roots of a 32-bit
/// guest, or the 4 KiB split of a guest large page); never write-protected;</item>
/// <item>bits 15:13 <see cref="Access"/>: the rights of the guest entries above this table. KVM 2.6.20
/// had no such field and shared a child between parents of different rights; later KVM added
/// <c>role.access</c>, and so does this role;</item>
/// <item>bit 16 CR4.PSE, bit 17 IA32_EFER.NXE: they change what a guest entry means (SDM vol.3 §5.3, §5.6);</item>
/// <item>bit 18 <see cref="Dirty"/>: for a large-page split, whether the guest's large-page entry was dirty (its
/// 4 KiB pieces may be writable only then, SDM vol.3 §5.8).</item>
/// </list>
/// </summary>
public readonly record struct ShadowPageRole(uint Word)
{
    const int LevelShift = 2, QuadrantShift = 5, AccessShift = 13;
    const uint MetaphysicalBit = 1u << 12, PseBit = 1u << 16, NxeBit = 1u << 17, DirtyBit = 1u << 18;

    public static ShadowPageRole Of(PagingMode mode, int level, int quadrant, bool metaphysical, PageRights access, bool pse, bool nxe, bool dirty = false) =>
        new((uint)mode | (uint)level << LevelShift | (uint)quadrant << QuadrantShift | (metaphysical ? MetaphysicalBit : 0)
            | (uint)access << AccessShift | (pse ? PseBit : 0) | (nxe ? NxeBit : 0) | (dirty ? DirtyBit : 0));

    public PagingMode GuestMode => (PagingMode)(Word & 3);
    public int Level => (int)(Word >> LevelShift) & 7;
    public int Quadrant => (int)(Word >> QuadrantShift) & 0x7F;
    public bool Metaphysical => (Word & MetaphysicalBit) != 0;
    public PageRights Access => (PageRights)((Word >> AccessShift) & 7);
    public bool Dirty => (Word & DirtyBit) != 0;

    /// <summary>The same role one level down with other quadrant, access and kind.</summary>
    public ShadowPageRole Child(int quadrant, bool metaphysical, PageRights access, bool dirty) =>
        Of(GuestMode, Level - 1, quadrant, metaphysical, access, (Word & PseBit) != 0, (Word & NxeBit) != 0, dirty);

    /// <summary>Bytes per guest entry of the tables this role shadows: 4 with 32-bit paging, else 8.</summary>
    public int GuestEntrySize => GuestMode == PagingMode.ThirtyTwoBit ? 4 : 8;
}
