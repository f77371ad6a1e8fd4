namespace JitVirt.Machine.Devices.Pic;

/// <summary>Command word bits of the 8259A (Intel 8259A datasheet, "Initialization Command Words" and "Operation Command Words", Figures 7 and 8).</summary>
internal static class Pic8259Commands
{
    // ICW1 (A0 = 0, D4 = 1).
    public const byte Icw1Select = 0x10; // D4
    public const byte Icw1NeedIcw4 = 0x01; // IC4
    public const byte Icw1Single = 0x02; // SNGL: no ICW3
    public const byte Icw1LevelTriggered = 0x08; // LTIM

    // ICW2: T7-T3 of the vector in 8086 mode.
    public const byte Icw2VectorMask = 0xF8;

    // ICW4.
    public const byte Icw4AutoEoi = 0x02; // AEOI
    public const byte Icw4SpecialFullyNested = 0x10; // SFNM

    // OCW2 (A0 = 0, D4 = 0, D3 = 0): R, SL, EOI in D7-D5, L2-L0 in D2-D0.
    public const byte Ocw2CommandMask = 0xE0;
    public const byte Ocw2LevelMask = 0x07;
    public const byte Ocw2RotateAutoEoiClear = 0x00;
    public const byte Ocw2NonSpecificEoi = 0x20;
    public const byte Ocw2NoOperation = 0x40;
    public const byte Ocw2SpecificEoi = 0x60;
    public const byte Ocw2RotateAutoEoiSet = 0x80;
    public const byte Ocw2RotateNonSpecificEoi = 0xA0;
    public const byte Ocw2SetPriority = 0xC0;
    public const byte Ocw2RotateSpecificEoi = 0xE0;

    // OCW3 (A0 = 0, D4 = 0, D3 = 1).
    public const byte Ocw3Select = 0x08;
    public const byte Ocw3ReadIsr = 0x01; // RIS
    public const byte Ocw3ReadRegister = 0x02; // RR
    public const byte Ocw3Poll = 0x04; // P
    public const byte Ocw3SpecialMask = 0x20; // SMM
    public const byte Ocw3EnableSpecialMask = 0x40; // ESMM

    /// <summary>Poll word bit 7 "I": an interrupt was pending (datasheet, "The Poll Command").</summary>
    public const byte PollInterruptPresent = 0x80;

    /// <summary>The lowest-priority input; a spurious INTA returns its vector ("default IR7").</summary>
    public const int SpuriousInput = 7;
}
