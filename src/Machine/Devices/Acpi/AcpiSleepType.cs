namespace JitVirt.Machine.Devices.Acpi;

/// <summary>
/// SLP_TYP values this platform uses. The values are platform-defined: the DSDT's \_Sx packages
/// tell the OS what to write into PM1_CNT.SLP_TYP (ACPI 6.x §7.4.2). The DSDT builder and the PM
/// device share these constants so the two always agree.
/// </summary>
public static class AcpiSleepType
{
    /// <summary>Soft-off (S5).</summary>
    public const byte S5 = 5;
}
