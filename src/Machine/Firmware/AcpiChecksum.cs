namespace JitVirt.Machine.Firmware;

/// <summary>ACPI checksums: all bytes of the covered range add up to zero modulo 256 (ACPI 6.x §5.2.5.3, §5.2.6).</summary>
public static class AcpiChecksum
{
    public static byte Sum(ReadOnlySpan<byte> bytes)
    {
        byte sum = 0;
        foreach (byte b in bytes) sum += b;
        return sum;
    }

    /// <summary>Writes the byte at <paramref name="checksumOffset"/> so the whole span sums to zero.</summary>
    public static void Fix(Span<byte> bytes, int checksumOffset)
    {
        bytes[checksumOffset] = 0;
        bytes[checksumOffset] = (byte)(0 - Sum(bytes));
    }
}
