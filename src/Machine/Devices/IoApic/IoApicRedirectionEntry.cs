using JitVirt.Machine.Devices.Apic;

namespace JitVirt.Machine.Devices.IoApic;

/// <summary>One 64-bit I/O redirection table entry (82093AA datasheet §3.2.4, IOREDTBL[23:0]).</summary>
public readonly record struct IoApicRedirectionEntry(ulong Raw)
{
    public const ulong VectorMask = 0xFF;                   // bits 7:0 INTVEC
    public const int DeliveryModeShift = 8;                 // bits 10:8 DELMOD
    public const ulong DestinationModeLogical = 1ul << 11;  // DESTMOD
    public const ulong DeliveryStatus = 1ul << 12;          // DELIVS, read-only
    public const ulong PolarityActiveLow = 1ul << 13;       // INTPOL
    public const ulong RemoteIrr = 1ul << 14;               // read-only
    public const ulong TriggerModeLevel = 1ul << 15;        // TRIGGER MODE
    public const ulong Masked = 1ul << 16;                  // INTERRUPT MASK
    public const int DestinationShift = 56;                 // bits 63:56 DESTINATION FIELD

    /// <summary>Bits software may write; DELIVS and Remote IRR are read-only (82093AA datasheet §3.2.4).</summary>
    public const ulong Writable = VectorMask | (0b111ul << DeliveryModeShift) | DestinationModeLogical
        | PolarityActiveLow | TriggerModeLevel | Masked | (0xFFul << DestinationShift);

    /// <summary>After reset every entry is masked (82093AA datasheet §3.2.4, bit 16 "reset: 1").</summary>
    public static IoApicRedirectionEntry Reset => new(Masked);

    public byte Vector => (byte)(Raw & VectorMask);
    public ApicDeliveryMode DeliveryMode => (ApicDeliveryMode)((Raw >> DeliveryModeShift) & 0b111);
    public bool LogicalDestination => (Raw & DestinationModeLogical) != 0;
    public bool ActiveLow => (Raw & PolarityActiveLow) != 0;
    public bool RemoteIrrSet => (Raw & RemoteIrr) != 0;
    public bool LevelTriggered => (Raw & TriggerModeLevel) != 0;
    public bool IsMasked => (Raw & Masked) != 0;
    public byte Destination => (byte)(Raw >> DestinationShift);

    public IoApicRedirectionEntry WithRemoteIrr(bool set) => new(set ? Raw | RemoteIrr : Raw & ~RemoteIrr);

    public ApicInterruptMessage ToMessage() => new(Vector, DeliveryMode, LogicalDestination, Destination, LevelTriggered);
}
