namespace JitVirt.Machine.Devices.Apic;

/// <summary>
/// Delivery mode field shared by the ICR, the LVT entries and the I/O APIC redirection entries
/// (SDM vol.3 §11.6.1 Figure 11-12 bits 10:8; 82093AA datasheet §3.2.4 DELMOD).
/// </summary>
public enum ApicDeliveryMode : byte
{
    Fixed = 0b000,
    LowestPriority = 0b001,
    Smi = 0b010,
    Nmi = 0b100,
    Init = 0b101,
    StartUp = 0b110,
    ExtInt = 0b111,
}
