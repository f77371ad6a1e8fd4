using JitVirt.Machine.Devices.Apic;

namespace JitVirt.Machine.Firmware;

/// <summary>
/// Programs the BSP's local APIC the way PC firmware leaves it for the OS: software-enabled, LINT0
/// as ExtINT (the 8259 passes through: virtual wire mode, MP spec §3.6.2.2) and LINT1 as NMI.
/// Use when booting a kernel directly without a BIOS.
/// </summary>
public static class LocalApicVirtualWire
{
    /// <summary>SVR: software enable (bit 8) with spurious vector 0xFF (SDM vol.3 §11.9).</summary>
    public const uint SpuriousEnabled = 0x1FF;
    /// <summary>LVT with delivery mode ExtINT (111b in bits 10:8), unmasked (SDM vol.3 §11.5.1).</summary>
    public const uint Lint0ExtInt = (uint)ApicDeliveryMode.ExtInt << LocalVectorTableEntry.DeliveryModeShift;
    /// <summary>LVT with delivery mode NMI (100b in bits 10:8), unmasked (SDM vol.3 §11.5.1).</summary>
    public const uint Lint1Nmi = (uint)ApicDeliveryMode.Nmi << LocalVectorTableEntry.DeliveryModeShift;

    public static void Program(LocalApic apic)
    {
        apic.WriteMmio(ApicRegister.SpuriousInterruptVector, 4, SpuriousEnabled);
        apic.WriteMmio(ApicRegister.LvtLint0, 4, Lint0ExtInt);
        apic.WriteMmio(ApicRegister.LvtLint1, 4, Lint1Nmi);
    }
}
