namespace JitVirt.Machine.Devices.Pit;

/// <summary>Control word fields (Intel 8254 datasheet, "Control Word Format", "Counter Latch Command", "Read-Back Command").</summary>
internal static class PitControlWord
{
    public const int SelectShift = 6; // SC1-SC0
    public const int ReadBackSelect = 3; // SC = 11: Read-Back Command
    public const int AccessShift = 4; // RW1-RW0
    public const int AccessMask = 0x03;
    public const int AccessLatch = 0; // RW = 00: Counter Latch Command
    public const int AccessLsb = 1;
    public const int AccessMsb = 2;
    public const int AccessLsbThenMsb = 3;
    public const int ModeShift = 1; // M2-M0
    public const int ModeMask = 0x07;
    public const byte Bcd = 0x01;
    public const byte StatusControlBits = 0x3F; // read-back status D5-D0 = RW1 RW0 M2 M1 M0 BCD

    // Read-Back Command bits.
    public const byte ReadBackNotCount = 0x20; // D5 = 0: latch count
    public const byte ReadBackNotStatus = 0x10; // D4 = 0: latch status
    public const byte ReadBackCounter0 = 0x02; // D1..D3 select counters 0..2

    // Status byte (datasheet, "Status Byte").
    public const byte StatusOutput = 0x80;
    public const byte StatusNullCount = 0x40;
}
