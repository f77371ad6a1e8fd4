namespace JitVirt.Machine.Firmware;

/// <summary>Address range types reported by INT 15h E820 (ACPI 6.x §15.1 Table 15.1).</summary>
public enum E820Type : uint
{
    Ram = 1,
    Reserved = 2,
    AcpiReclaimable = 3,
    AcpiNvs = 4,
}
