namespace JitVirt.Machine.Devices.Apic;

/// <summary>
/// IA32_APIC_BASE (MSR 0x1B) layout and validation (SDM vol.3 §11.4.4 Figure 11-5).
/// Departure: x2APIC (EXTD, bit 10) is not implemented, so setting it is treated as a reserved-bit
/// write (#GP), as on a processor without x2APIC support.
/// </summary>
public static class ApicBaseMsr
{
    /// <summary>MSR index of IA32_APIC_BASE (SDM vol.4 Table 2-2).</summary>
    public const uint MsrIndex = 0x1B;

    /// <summary>BSP flag, bit 8 (SDM vol.3 §11.4.4).</summary>
    public const ulong BootstrapProcessor = 1ul << 8;

    /// <summary>x2APIC enable, bit 10 (SDM vol.3 §11.12.1).</summary>
    public const ulong X2ApicEnable = 1ul << 10;

    /// <summary>APIC global enable, bit 11 (SDM vol.3 §11.4.4).</summary>
    public const ulong GlobalEnable = 1ul << 11;

    /// <summary>Default APIC page base after reset (SDM vol.3 §11.4.1).</summary>
    public const ulong DefaultBase = 0xFEE0_0000;

    /// <summary>Power-up value for the bootstrap processor: default base, enabled, BSP.</summary>
    public const ulong BootstrapResetValue = DefaultBase | GlobalEnable | BootstrapProcessor;

    /// <summary>Base field mask for a given MAXPHYADDR: bits (MAXPHYADDR-1):12.</summary>
    public static ulong BaseMask(int maxPhysicalAddressBits) => ((1ul << maxPhysicalAddressBits) - 1) & ~0xFFFul;

    /// <summary>True when no reserved bit (bits 7:0, 9, 10 and above MAXPHYADDR) is set.</summary>
    public static bool IsValid(ulong value, int maxPhysicalAddressBits)
    {
        ulong allowed = BaseMask(maxPhysicalAddressBits) | GlobalEnable | BootstrapProcessor;
        return (value & ~allowed) == 0;
    }

    public static ulong Base(ulong value, int maxPhysicalAddressBits) => value & BaseMask(maxPhysicalAddressBits);

    public static bool IsEnabled(ulong value) => (value & GlobalEnable) != 0;
}
