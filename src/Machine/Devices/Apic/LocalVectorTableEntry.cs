namespace JitVirt.Machine.Devices.Apic;

/// <summary>Field accessors for a Local Vector Table entry (SDM vol.3 §11.5.1 Figure 11-8).</summary>
public static class LocalVectorTableEntry
{
    public const uint VectorMask = 0xFF;               // bits 7:0
    public const int DeliveryModeShift = 8;            // bits 10:8
    public const uint DeliveryStatus = 1u << 12;
    public const uint InputPinPolarity = 1u << 13;     // LINT0/LINT1 only
    public const uint RemoteIrr = 1u << 14;            // LINT0/LINT1 only, read-only
    public const uint TriggerModeLevel = 1u << 15;     // LINT0/LINT1 only
    public const uint Masked = 1u << 16;
    public const int TimerModeShift = 17;              // bits 18:17, timer only
    public const uint TimerModeMask = 0b11u << TimerModeShift;

    /// <summary>Value of every LVT after reset: only the mask bit set (SDM vol.3 §11.4.7.1).</summary>
    public const uint ResetValue = Masked;

    /// <summary>Writable bits of the timer LVT: vector, mask, timer mode (SDM vol.3 §11.5.1).</summary>
    public const uint TimerWritable = VectorMask | Masked | TimerModeMask;

    /// <summary>Writable bits of LINT0/LINT1: vector, delivery mode, polarity, trigger, mask.</summary>
    public const uint LintWritable = VectorMask | (0b111u << DeliveryModeShift) | InputPinPolarity | TriggerModeLevel | Masked;

    /// <summary>Writable bits of the error LVT: vector and mask (no delivery mode field).</summary>
    public const uint ErrorWritable = VectorMask | Masked;

    /// <summary>Writable bits of the thermal / performance-counter LVTs: vector, delivery mode, mask.</summary>
    public const uint MonitorWritable = VectorMask | (0b111u << DeliveryModeShift) | Masked;

    public static byte Vector(uint lvt) => (byte)(lvt & VectorMask);

    public static bool IsMasked(uint lvt) => (lvt & Masked) != 0;

    public static ApicDeliveryMode DeliveryMode(uint lvt) => (ApicDeliveryMode)((lvt >> DeliveryModeShift) & 0b111);

    public static LocalApicTimerMode TimerMode(uint lvt) => (LocalApicTimerMode)((lvt & TimerModeMask) >> TimerModeShift);
}
