namespace JitVirt.Machine.Firmware;

/// <summary>
/// Differentiated System Description Table with hand-assembled AML. It holds only
/// <c>Name (_S5_, Package (4) { SLP_TYPa, SLP_TYPb, 0, 0 })</c>, which is what an OS needs to
/// enter soft-off. Departure: no \_SB device tree (no PCI root bridge, no _PRT), so the OS falls
/// back to probing PCI and to MADT/legacy interrupt routing.
/// </summary>
public static class AcpiDsdt
{
    public const byte Revision = 2;               // revision 2+: 64-bit AML integers (ACPI 6.x §5.2.11.1)

    private const byte NameOp = 0x08;             // ACPI 6.x §20.2.5.1 DefName
    private const byte PackageOp = 0x12;          // ACPI 6.x §20.2.5.4 DefPackage
    private const byte ZeroOp = 0x00;             // ACPI 6.x §20.2.3 ConstObj
    private const byte OneOp = 0x01;
    private const byte BytePrefix = 0x0A;         // ACPI 6.x §20.2.3 ByteConst

    public static byte[] BuildAml(byte s5SleepType)
    {
        var aml = new List<byte> { NameOp, (byte)'_', (byte)'S', (byte)'5', (byte)'_', PackageOp };
        var body = new List<byte> { 4 };          // NumElements
        AppendInteger(body, s5SleepType);         // PM1a SLP_TYP
        AppendInteger(body, s5SleepType);         // PM1b SLP_TYP
        AppendInteger(body, 0);                   // reserved
        AppendInteger(body, 0);                   // reserved
        // One-byte PkgLength: bits 7:6 = 0, value counts itself, valid below 64 (ACPI 6.x §20.2.4).
        aml.Add((byte)(body.Count + 1));
        aml.AddRange(body);
        return aml.ToArray();
    }

    public static int Length(byte s5SleepType) => AcpiTableHeader.Size + BuildAml(s5SleepType).Length;

    public static int Write(Span<byte> table, byte s5SleepType)
    {
        byte[] aml = BuildAml(s5SleepType);
        int length = AcpiTableHeader.Size + aml.Length;
        AcpiTableHeader.Write(table, "DSDT", length, Revision, "JVRTDSDT");
        aml.CopyTo(table[AcpiTableHeader.Size..]);
        AcpiTableHeader.FixChecksum(table[..length]);
        return length;
    }

    private static void AppendInteger(List<byte> aml, byte value)
    {
        if (value == 0) aml.Add(ZeroOp);
        else if (value == 1) aml.Add(OneOp);
        else { aml.Add(BytePrefix); aml.Add(value); }
    }
}
