namespace JitVirt.Machine.Devices.Rtc;

/// <summary>Register map and bits of the MC146818A (Motorola datasheet, "Address Map", "Register A".."Register D").</summary>
internal static class RtcRegisters
{
    public const int Seconds = 0x00;
    public const int SecondsAlarm = 0x01;
    public const int Minutes = 0x02;
    public const int MinutesAlarm = 0x03;
    public const int Hours = 0x04;
    public const int HoursAlarm = 0x05;
    public const int Weekday = 0x06;
    public const int DayOfMonth = 0x07;
    public const int Month = 0x08;
    public const int Year = 0x09;
    public const int RegisterA = 0x0A;
    public const int RegisterB = 0x0B;
    public const int RegisterC = 0x0C;
    public const int RegisterD = 0x0D;
    public const int Century = 0x32; // IBM PC/AT CMOS map: century byte (ACPI FADT CENTURY points here)
    public const int Size = 128; // 14 clock bytes + 114 bytes of RAM

    // Register A.
    public const byte UpdateInProgress = 0x80; // UIP
    public const byte DividerMask = 0x70; // DV2-DV0
    public const byte DividerNormal32Khz = 0x20; // DV = 010: 32.768 kHz time base, operating
    public const byte RateMask = 0x0F; // RS3-RS0

    // Register B.
    public const byte Set = 0x80;
    public const byte PeriodicInterruptEnable = 0x40; // PIE
    public const byte AlarmInterruptEnable = 0x20; // AIE
    public const byte UpdateEndedInterruptEnable = 0x10; // UIE
    public const byte DataModeBinary = 0x04; // DM: 1 = binary, 0 = BCD
    public const byte Hours24 = 0x02; // 24/12

    // Register C.
    public const byte InterruptRequestFlag = 0x80; // IRQF
    public const byte PeriodicFlag = 0x40; // PF
    public const byte AlarmFlag = 0x20; // AF
    public const byte UpdateEndedFlag = 0x10; // UF

    // Register D.
    public const byte ValidRamAndTime = 0x80; // VRT

    public const byte HourPm = 0x80; // 12-hour mode: bit 7 of the hours byte = PM
    public const byte AlarmDontCare = 0xC0; // alarm byte with bits 7-6 set matches any value
}
