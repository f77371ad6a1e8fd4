namespace JitVirt.Machine.Devices.Acpi;

/// <summary>Plain state of the PM1 event/control registers.</summary>
public sealed record AcpiPmState
{
    public ushort Status;
    public ushort Enable;
    /// <summary>SCI_EN set from reset: no SMI_CMD, so the platform is always in ACPI mode (ACPI 6.x §4.8.2.5).</summary>
    public ushort Control = AcpiPmRegisters.SciEnable;
    /// <summary>Number of bit-23 toggles of the PM timer already reported through TMR_STS.</summary>
    public long TimerEpochsAcknowledged;
}
