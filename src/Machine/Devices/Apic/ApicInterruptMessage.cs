namespace JitVirt.Machine.Devices.Apic;

/// <summary>
/// One interrupt message on the (virtual) APIC bus, as sent by the I/O APIC
/// (82093AA datasheet §3.2.4) or by a local APIC's ICR (SDM vol.3 §11.6.1).
/// </summary>
/// <param name="Vector">Interrupt vector, bits 7:0.</param>
/// <param name="DeliveryMode">Delivery mode, bits 10:8.</param>
/// <param name="LogicalDestination">Destination mode bit 11: false = physical APIC ID, true = logical.</param>
/// <param name="Destination">Destination field (8 bits in xAPIC mode).</param>
/// <param name="LevelTriggered">Trigger mode bit 15: true = level (sets TMR on acceptance).</param>
public readonly record struct ApicInterruptMessage(
    byte Vector,
    ApicDeliveryMode DeliveryMode,
    bool LogicalDestination,
    byte Destination,
    bool LevelTriggered);
