namespace JitVirt.Machine.Devices.Acpi;

/// <summary>
/// Fixed-hardware register layout of the PM block (ACPI 6.x §4.8.3) at the PIIX4-style I/O base
/// QEMU uses: PM1a_EVT_BLK at +0 (PM1_STS, PM1_EN), PM1a_CNT_BLK at +4, PM_TMR_BLK at +8.
/// </summary>
public static class AcpiPmRegisters
{
    public const ushort DefaultBase = 0x600;
    public const int EventBlockOffset = 0;       // PM1_STS (+0, 2 bytes), PM1_EN (+2, 2 bytes)
    public const int EventBlockLength = 4;       // ACPI 6.x §4.8.3.1: PM1_EVT_LEN ≥ 4
    public const int ControlBlockOffset = 4;
    public const int ControlBlockLength = 2;     // ACPI 6.x §4.8.3.2: PM1_CNT_LEN ≥ 2
    public const int TimerBlockOffset = 8;
    public const int TimerBlockLength = 4;       // ACPI 6.x §4.8.3.3: PM_TMR_LEN = 4
    public const int BlockLength = 12;

    /// <summary>PM1_STS / PM1_EN bits (ACPI 6.x §4.8.4.1.1 Table 4.16, §4.8.4.1.2 Table 4.17).</summary>
    public const ushort TimerStatus = 1 << 0;
    public const ushort GlobalStatus = 1 << 5;
    public const ushort PowerButtonStatus = 1 << 8;
    public const ushort SleepButtonStatus = 1 << 9;
    public const ushort RtcStatus = 1 << 10;
    public const ushort WakeStatus = 1 << 15;
    public const ushort StatusImplemented = TimerStatus | PowerButtonStatus | SleepButtonStatus | RtcStatus | WakeStatus;
    /// <summary>
    /// PM1_EN bits that hold what is written. GBL_EN (bit 5) is read/write (PIIX4 datasheet PMEN; ACPI 6.x
    /// Table 4.17) although no firmware here ever sets GBL_STS: ACPICA enables the global-lock event at
    /// start-up and reads the bit back, and a bit that reads 0 makes it report "No response from Global
    /// Lock hardware" and give up the lock.
    /// </summary>
    public const ushort EnableImplemented = TimerStatus | GlobalStatus | PowerButtonStatus | SleepButtonStatus | RtcStatus;

    /// <summary>PM1_CNT bits (ACPI 6.x §4.8.4.2.1 Table 4.18).</summary>
    public const ushort SciEnable = 1 << 0;
    public const ushort BusMasterReload = 1 << 1;
    public const ushort GlobalRelease = 1 << 2;
    public const int SleepTypeShift = 10;        // SLP_TYP bits 12:10
    public const ushort SleepTypeMask = 0b111 << SleepTypeShift;
    public const ushort SleepEnable = 1 << 13;   // SLP_EN, write-only, reads zero

    /// <summary>PM timer rate: 3.579545 MHz (ACPI 6.x §4.8.3.3).</summary>
    public const long TimerFrequencyHz = 3_579_545;

    /// <summary>24-bit timer (TMR_VAL_EXT = 0 in the FADT, ACPI 6.x §4.8.3.3).</summary>
    public const uint TimerMask = 0x00FF_FFFF;

    /// <summary>TMR_STS is set whenever bit 23 of the counter toggles (ACPI 6.x §4.8.3.3).</summary>
    public const int TimerStatusBit = 23;
}
