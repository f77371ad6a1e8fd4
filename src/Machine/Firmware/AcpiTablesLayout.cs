namespace JitVirt.Machine.Firmware;

/// <summary>Where each ACPI structure was written, and the extent of the table region for the E820 map.</summary>
public sealed record AcpiTablesLayout(
    ulong Rsdp,
    ulong Facs,
    ulong Dsdt,
    ulong Fadt,
    ulong Madt,
    ulong Rsdt,
    ulong Xsdt,
    ulong TablesStart,
    ulong TablesEnd);
