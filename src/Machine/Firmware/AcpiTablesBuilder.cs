namespace JitVirt.Machine.Firmware;

/// <summary>
/// Writes a complete ACPI table set into guest memory: RSDP (v2) at <c>rsdpAddress</c>, and
/// FACS, DSDT, FADT, MADT, RSDT, XSDT packed upwards from <c>tablesAddress</c>. There is no HPET,
/// so no HPET table. The default placement keeps everything inside the BIOS area below 1 MiB.
/// </summary>
public static class AcpiTablesBuilder
{
    public const ulong DefaultRsdpAddress = 0xE0000;
    public const ulong DefaultTablesAddress = 0xE0040;
    private const int TableAlignment = 16;

    /// <summary>Bytes the table set needs from <c>tablesAddress</c> (worst case, including alignment).</summary>
    public static int RequiredSize(AcpiPlatform platform) =>
        AcpiFacs.Alignment + AcpiFacs.Size + AcpiDsdt.Length(platform) + AcpiFadt.Length + AcpiMadt.Length(platform)
        + AcpiRootTables.RsdtLength(2) + AcpiRootTables.XsdtLength(2) + 5 * TableAlignment;

    public static AcpiTablesLayout Build(GuestMemoryWriter memory, AcpiPlatform platform,
        ulong rsdpAddress = DefaultRsdpAddress, ulong tablesAddress = DefaultTablesAddress)
    {
        if (!AcpiRsdp.IsValidLocation(rsdpAddress))
            throw new ArgumentOutOfRangeException(nameof(rsdpAddress), "the RSDP must sit on a 16-byte boundary in 0xE0000-0xFFFFF (ACPI 6.x §5.2.5.1)");
        ulong at = tablesAddress;
        ulong facs = Align(at, AcpiFacs.Alignment);
        at = facs + (ulong)AcpiFacs.Write(memory.Slice(facs, AcpiFacs.Size));
        ulong dsdt = Align(at, TableAlignment);
        at = dsdt + (ulong)AcpiDsdt.Write(memory.Slice(dsdt, AcpiDsdt.Length(platform)), platform);
        ulong fadt = Align(at, TableAlignment);
        at = fadt + (ulong)AcpiFadt.Write(memory.Slice(fadt, AcpiFadt.Length), platform, facs, dsdt);
        ulong madt = Align(at, TableAlignment);
        at = madt + (ulong)AcpiMadt.Write(memory.Slice(madt, AcpiMadt.Length(platform)), platform);
        ReadOnlySpan<ulong> entries = [fadt, madt];
        ulong rsdt = Align(at, TableAlignment);
        at = rsdt + (ulong)AcpiRootTables.WriteRsdt(memory.Slice(rsdt, AcpiRootTables.RsdtLength(entries.Length)), entries);
        ulong xsdt = Align(at, TableAlignment);
        at = xsdt + (ulong)AcpiRootTables.WriteXsdt(memory.Slice(xsdt, AcpiRootTables.XsdtLength(entries.Length)), entries);
        if (RangesOverlap(rsdpAddress, AcpiRsdp.Size, tablesAddress, at - tablesAddress))
            throw new ArgumentException("the RSDP overlaps the table region");
        AcpiRsdp.Write(memory.Slice(rsdpAddress, AcpiRsdp.Size), checked((uint)rsdt), xsdt);
        return new AcpiTablesLayout(rsdpAddress, facs, dsdt, fadt, madt, rsdt, xsdt, tablesAddress, at);
    }

    private static ulong Align(ulong value, int alignment) => (value + (ulong)alignment - 1) & ~((ulong)alignment - 1);

    private static bool RangesOverlap(ulong a, ulong aLength, ulong b, ulong bLength) => a < b + bLength && b < a + aLength;
}
