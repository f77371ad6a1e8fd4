namespace JitVirt.Machine.Devices.Apic;

/// <summary>LVT timer mode, bits 18:17 (SDM vol.3 §11.5.4 Figure 11-8).</summary>
public enum LocalApicTimerMode : byte
{
    OneShot = 0b00,
    Periodic = 0b01,
    TscDeadline = 0b10,
    Reserved = 0b11,
}
