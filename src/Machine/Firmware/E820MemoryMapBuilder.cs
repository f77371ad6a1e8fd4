namespace JitVirt.Machine.Firmware;

/// <summary>
/// Builds the PC memory map the machine reports through E820 / the boot protocol:
/// conventional RAM below the EBDA, the reserved legacy area 0x9FC00–0xFFFFF (EBDA, VGA window,
/// option and system ROMs), RAM from 1 MiB up to the PCI hole and the rest above 4 GiB, the I/O
/// APIC and local APIC pages reserved, and any ACPI table region carved out as type 3.
/// </summary>
public sealed class E820MemoryMapBuilder
{
    /// <summary>The 1 KiB extended BIOS data area sits just below 640 KiB.</summary>
    public const ulong ExtendedBiosDataArea = 0x9FC00;
    public const ulong HighMemoryStart = 0x100000;
    public const ulong FourGiB = 0x1_0000_0000;
    /// <summary>Default start of the 32-bit PCI MMIO hole; RAM above it is moved above 4 GiB.</summary>
    public const ulong DefaultPciHoleStart = 0xE000_0000;
    private const ulong ApicPageSize = 0x1000;

    private readonly List<E820Entry> _entries = [];

    public IReadOnlyList<E820Entry> Entries => _entries;

    /// <summary>The standard map for <paramref name="ramSize"/> bytes of guest RAM.</summary>
    public static E820MemoryMapBuilder ForRam(ulong ramSize, ulong ioApicBase = 0xFEC0_0000, ulong localApicBase = 0xFEE0_0000,
        ulong pciHoleStart = DefaultPciHoleStart)
    {
        var map = new E820MemoryMapBuilder();
        map.Add(0, Math.Min(ramSize, ExtendedBiosDataArea), E820Type.Ram);
        map.Add(ExtendedBiosDataArea, HighMemoryStart - ExtendedBiosDataArea, E820Type.Reserved);
        if (ramSize > HighMemoryStart) map.Add(HighMemoryStart, Math.Min(ramSize, pciHoleStart) - HighMemoryStart, E820Type.Ram);
        if (ramSize > pciHoleStart) map.Add(FourGiB, ramSize - pciHoleStart, E820Type.Ram);
        map.Add(ioApicBase, ApicPageSize, E820Type.Reserved);
        map.Add(localApicBase, ApicPageSize, E820Type.Reserved);
        return map;
    }

    /// <summary>Adds a range; where it overlaps existing ranges it replaces them (split as needed).</summary>
    public E820MemoryMapBuilder Add(ulong baseAddress, ulong length, E820Type type)
    {
        if (length == 0) return this;
        ulong end = baseAddress + length;
        for (int i = _entries.Count - 1; i >= 0; i--)
        {
            var e = _entries[i];
            if (e.End <= baseAddress || e.Base >= end) continue;
            _entries.RemoveAt(i);
            if (e.Base < baseAddress) _entries.Add(e with { Length = baseAddress - e.Base });
            if (e.End > end) _entries.Add(new E820Entry(end, e.End - end, e.Type));
        }
        _entries.Add(new E820Entry(baseAddress, length, type));
        _entries.Sort((a, b) => a.Base.CompareTo(b.Base));
        return this;
    }

    /// <summary>Marks the ACPI table region reclaimable (type 3), e.g. from <see cref="AcpiTablesLayout"/>.</summary>
    public E820MemoryMapBuilder AddAcpiTables(ulong start, ulong end) => Add(start, end - start, E820Type.AcpiReclaimable);
}
