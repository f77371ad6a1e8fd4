namespace JitVirt.Machine.Devices.Apic;

/// <summary>
/// One IPI decoded from the interrupt command register (SDM vol.3 §11.6.1 Figure 11-12).
/// <see cref="DeliveredLocally"/> tells whether this APIC accepted it itself (self / all-including-self
/// or a destination matching its own ID); anything aimed elsewhere has no receiver with one vCPU.
/// </summary>
public readonly record struct ApicInterProcessorInterrupt(
    byte Vector,
    ApicDeliveryMode DeliveryMode,
    bool LogicalDestination,
    bool LevelAssert,
    bool LevelTriggered,
    ApicDestinationShorthand Shorthand,
    byte Destination,
    bool DeliveredLocally)
{
    private const int DeliveryModeShift = 8;             // bits 10:8
    private const uint DestinationModeLogical = 1u << 11;
    private const uint LevelAssertBit = 1u << 14;
    private const uint TriggerModeLevel = 1u << 15;
    private const int ShorthandShift = 18;               // bits 19:18
    private const int DestinationShift = 24;             // ICR high bits 31:24 (xAPIC)

    public static ApicInterProcessorInterrupt Decode(uint low, uint high) => new(
        Vector: (byte)low,
        DeliveryMode: (ApicDeliveryMode)((low >> DeliveryModeShift) & 0b111),
        LogicalDestination: (low & DestinationModeLogical) != 0,
        LevelAssert: (low & LevelAssertBit) != 0,
        LevelTriggered: (low & TriggerModeLevel) != 0,
        Shorthand: (ApicDestinationShorthand)((low >> ShorthandShift) & 0b11),
        Destination: (byte)(high >> DestinationShift),
        DeliveredLocally: false);

    /// <summary>INIT with level de-assert and level trigger is the "INIT level de-assert" sync message, not an INIT (SDM vol.3 §11.6.1).</summary>
    public bool IsInitLevelDeassert => DeliveryMode == ApicDeliveryMode.Init && !LevelAssert && LevelTriggered;
}
