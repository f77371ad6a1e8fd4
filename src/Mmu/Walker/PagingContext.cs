using Cr0Bits = JitVirt.Cpu.State.Cr0;
using Cr4Bits = JitVirt.Cpu.State.Cr4;
using EferBits = JitVirt.Cpu.State.Efer;

namespace JitVirt.Mmu.Walker;

/// <summary>
/// The processor state a page walk depends on: CR0, CR3, CR4, IA32_EFER, MAXPHYADDR and, for
/// PAE paging, optionally the PDPTE registers. Derived masks are computed once here so that a
/// walk only ORs constants.
/// </summary>
public readonly struct PagingContext
{
    /// <summary>MAXPHYADDR of the modelled processor (CPUID 80000008H:EAX[7:0]).</summary>
    public const int DefaultMaxPhysicalAddress = 36;

    /// <summary>CR3 bits 31:12: page-directory base with 32-bit paging (Table 5-3).</summary>
    public const ulong ThirtyTwoBitDirectoryBaseMask = 0xFFFF_F000;

    /// <summary>CR3 bits 31:5: PDPT base with PAE paging (Table 5-7).</summary>
    public const ulong PaePdptBaseMask = 0xFFFF_FFE0;

    public readonly ulong Cr0, Cr3, Cr4, Efer;
    public readonly int MaxPhysicalAddress;
    public readonly PagingMode Mode;

    /// <summary>PDPTE registers to use instead of reading the PDPT at walk time (PAE paging only).</summary>
    public readonly PdpteRegisters Pdptes;
    public readonly bool HasPdpteRegisters;

    /// <summary>Bits (M–1):12: the physical-address field of 64-bit entries and of CR3 in 4-level paging.</summary>
    public readonly ulong AddressMask;

    /// <summary>Reserved bits common to every PDE/PTE (PAE) or every entry (4-level) in this context.</summary>
    public readonly ulong EntryReservedBits;

    public PagingContext(ulong cr0, ulong cr3, ulong cr4, ulong efer, int maxPhysicalAddress = DefaultMaxPhysicalAddress)
    {
        // MAXPHYADDR is at most 52 (SDM vol.3 §5.1.4); below 32 nothing would be addressable.
        if (maxPhysicalAddress is < 32 or > 52) throw new ArgumentOutOfRangeException(nameof(maxPhysicalAddress));
        Cr0 = cr0; Cr3 = cr3; Cr4 = cr4; Efer = efer;
        MaxPhysicalAddress = maxPhysicalAddress;
        Mode = PagingModes.Of(cr0, cr4, efer);
        Pdptes = default;
        HasPdpteRegisters = false;
        AddressMask = ReservedBits.Range(maxPhysicalAddress - 1, 12);
        EntryReservedBits = Mode == PagingMode.FourLevel
            ? ReservedBits.FourLevelEntry(maxPhysicalAddress, ExecuteDisableEnabledFor(efer))
            : ReservedBits.PaeEntry(maxPhysicalAddress, ExecuteDisableEnabledFor(efer));
    }

    PagingContext(in PagingContext other, in PdpteRegisters pdptes)
    {
        this = other;
        Pdptes = pdptes;
        HasPdpteRegisters = true;
    }

    /// <summary>The same context with PDPTE registers loaded earlier (<see cref="PdpteRegisters.TryLoad"/>).</summary>
    public PagingContext WithPdpteRegisters(in PdpteRegisters pdptes) => new(in this, in pdptes);

    /// <summary>CR0.WP: supervisor-mode writes honour R/W (SDM vol.3 §5.6).</summary>
    public bool WriteProtect => (Cr0 & Cr0Bits.WP) != 0;

    /// <summary>CR4.PSE: 32-bit paging PDEs with PS = 1 map 4-MByte pages (SDM vol.3 §5.3).</summary>
    public bool PageSizeExtensions => (Cr4 & Cr4Bits.PSE) != 0;

    /// <summary>
    /// IA32_EFER.NXE with 64-bit entries (PAE or 4-level paging): XD is a control bit, and the
    /// #PF error code reports I/D (SDM vol.3 §5.6 and §5.7). 32-bit paging has no XD bit.
    /// </summary>
    public bool ExecuteDisableEnabled =>
        (Mode is PagingMode.Pae or PagingMode.FourLevel) && ExecuteDisableEnabledFor(Efer);

    static bool ExecuteDisableEnabledFor(ulong efer) => (efer & EferBits.NXE) != 0;
}
