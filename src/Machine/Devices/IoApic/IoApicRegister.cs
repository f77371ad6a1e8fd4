namespace JitVirt.Machine.Devices.IoApic;

/// <summary>Register addresses of the 82093AA I/O APIC (datasheet §3.0 Tables 1 and 2).</summary>
public static class IoApicRegister
{
    /// <summary>Default memory base of the I/O APIC (82093AA datasheet §3.0).</summary>
    public const ulong DefaultBase = 0xFEC0_0000;

    /// <summary>The register window is decoded within one 4 KiB page.</summary>
    public const int PageSize = 0x1000;

    /// <summary>Memory-mapped index register IOREGSEL (datasheet §3.1).</summary>
    public const int RegisterSelectOffset = 0x00;

    /// <summary>Memory-mapped data window IOWIN (datasheet §3.1).</summary>
    public const int WindowOffset = 0x10;

    /// <summary>Indirect register indices selected through IOREGSEL (datasheet §3.2 Table 2).</summary>
    public const byte Id = 0x00;
    public const byte Version = 0x01;
    public const byte Arbitration = 0x02;
    public const byte RedirectionTableBase = 0x10;

    /// <summary>The 82093AA has 24 redirection entries (datasheet §3.2.2: maximum redirection entry 0x17).</summary>
    public const int PinCount = 24;

    /// <summary>IOAPICVER: version 0x11, maximum redirection entry 0x17 in bits 23:16 (datasheet §3.2.2).</summary>
    public const uint VersionValue = 0x0017_0011;

    /// <summary>IOAPICID and IOAPICARB keep their 4-bit ID in bits 27:24 (datasheet §3.2.1, §3.2.3).</summary>
    public const uint IdMask = 0x0F00_0000;
}
