namespace JitVirt.Mmu.Walker;

/// <summary>
/// Reserved bits of present paging-structure entries; a 1 in any of them is a #PF with RSVD
/// (SDM vol.3 §5.7, "RSVD flag"). The processor modelled has MAXPHYADDR = M (CPUID 80000008H),
/// no PSE-36 (CPUID.01H:EDX[17] = 0) and no 1-GByte pages (CPUID.80000001H:EDX[26] = 0); it has
/// the PAT ("The PAT is supported on all processors that support 4-level paging", note to
/// Table 5-18), so PAT bits are never reserved.
/// </summary>
public static class ReservedBits
{
    /// <summary>Bits <paramref name="high"/>:<paramref name="low"/> (inclusive) set; empty when high &lt; low.</summary>
    public static ulong Range(int high, int low) =>
        high < low ? 0 : (ulong.MaxValue >> (63 - high)) & (ulong.MaxValue << low);

    /// <summary>
    /// 32-bit PDE that maps a 4-MByte page (CR4.PSE = 1, PS = 1): bits 21:13. Table 5-4 reserves
    /// bits 21:(M–19) and gives bits (M–20):13 the physical-address bits (M–1):32; without PSE-36
    /// M is 32 there, so all of 21:13 are reserved (SDM vol.3 §5.3: "If the PSE-36 mechanism is not
    /// supported, bits 21:13 are reserved"). 32-bit paging has no other reserved bits.
    /// </summary>
    public const ulong ThirtyTwoBitLargePde = 0x003F_E000;

    /// <summary>
    /// PAE PDPTE (Table 5-8): bits 2:1 and 8:5 (no R/W, U/S, A, D, PS in a PDPTE) and 63:M
    /// (there is no XD bit in a PDPTE).
    /// </summary>
    public static ulong PaePdpte(int maxPhysicalAddress) => Range(2, 1) | Range(8, 5) | Range(63, maxPhysicalAddress);

    /// <summary>PAE PDE and PTE (Tables 5-9 to 5-11): bits 62:M, and bit 63 when IA32_EFER.NXE = 0.</summary>
    public static ulong PaeEntry(int maxPhysicalAddress, bool executeDisableEnabled) =>
        Range(62, maxPhysicalAddress) | (executeDisableEnabled ? 0 : PageTableEntry.ExecuteDisable);

    /// <summary>
    /// Every 4-level paging-structure entry (Tables 5-15 to 5-20): bits 51:M, and bit 63 when
    /// IA32_EFER.NXE = 0. Bits 62:52 are ignored (62:59 are protection keys only with CR4.PKE/PKS).
    /// </summary>
    public static ulong FourLevelEntry(int maxPhysicalAddress, bool executeDisableEnabled) =>
        Range(51, maxPhysicalAddress) | (executeDisableEnabled ? 0 : PageTableEntry.ExecuteDisable);

    /// <summary>PS (bit 7) of a PML4E is reserved (Table 5-15).</summary>
    public const ulong Pml4ePageSize = PageTableEntry.PageSize;

    /// <summary>PS (bit 7) of a PDPTE is reserved when 1-GByte pages are not supported (SDM vol.3 §5.5.4).</summary>
    public const ulong PdptePageSize = PageTableEntry.PageSize;

    /// <summary>Bits 20:13 of a PDE that maps a 2-MByte page (Tables 5-9 and 5-18): below the page address, above PAT.</summary>
    public const ulong LargePde2M = 0x001F_E000;
}
