namespace JitVirt.Machine.Devices.Apic;

/// <summary>ICR destination shorthand, bits 19:18 (SDM vol.3 §11.6.1 Figure 11-12).</summary>
public enum ApicDestinationShorthand : byte
{
    None = 0b00,
    Self = 0b01,
    AllIncludingSelf = 0b10,
    AllExcludingSelf = 0b11,
}
