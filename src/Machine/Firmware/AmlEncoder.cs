using System.Diagnostics;

namespace JitVirt.Machine.Firmware;

/// <summary>
/// Encodes the few ACPI Machine Language terms JitVirt's DSDT needs (ACPI 6.x §20.2, "AML Grammar
/// Definition"): name strings, package lengths, Scope, Device, Name, integer constants, EISA IDs and
/// buffers. Each method returns the term's bytes; nesting is by passing the inner terms' bytes.
/// </summary>
public static class AmlEncoder
{
    private const byte ZeroOp = 0x00;            // §20.2.3 ConstObj
    private const byte OneOp = 0x01;
    private const byte BytePrefix = 0x0A;        // §20.2.3 ComputationalData
    private const byte WordPrefix = 0x0B;
    private const byte DWordPrefix = 0x0C;
    private const byte QWordPrefix = 0x0E;
    private const byte NameOp = 0x08;            // §20.2.5.1 DefName
    private const byte ScopeOp = 0x10;           // §20.2.5.1 DefScope
    private const byte BufferOp = 0x11;          // §20.2.5.4 DefBuffer
    private const byte PackageOp = 0x12;         // §20.2.5.4 DefPackage
    private const byte ExtOpPrefix = 0x5B;
    private const byte DeviceOp = 0x82;          // §20.2.5.2 DefDevice: ExtOpPrefix 0x82
    private const byte RootChar = (byte)'\\';    // §20.2.2 NameString
    private const byte DualNamePrefix = 0x2E;

    /// <summary>
    /// PkgLength (§20.2.4): the length of the package including the PkgLength bytes themselves. One byte
    /// (bits 5:0) below 64; otherwise bits 7:6 of the lead byte count the 1-3 bytes that follow, the lead
    /// byte's bits 3:0 hold the low nibble and each following byte the next 8 bits.
    /// </summary>
    public static byte[] PkgLength(int contentLength)
    {
        if (contentLength + 1 < 0x40) return [(byte)(contentLength + 1)];
        for (int extra = 1; extra <= 3; extra++)
        {
            int total = contentLength + 1 + extra;
            if (total >= 1 << (4 + 8 * extra)) continue;
            var bytes = new byte[1 + extra];
            bytes[0] = (byte)(extra << 6 | (total & 0x0F));
            for (int i = 1; i <= extra; i++) bytes[i] = (byte)(total >> (4 + 8 * (i - 1)));
            return bytes;
        }
        throw new ArgumentOutOfRangeException(nameof(contentLength), "AML packages are limited to 2^28 bytes");
    }

    /// <summary>
    /// NameString (§20.2.2): "\" for the root, then one NameSeg or two (DualNamePrefix). Segments are four
    /// characters, the first A-Z or '_', shorter names padded with '_' as ASL does.
    /// </summary>
    public static byte[] NameString(string path)
    {
        var bytes = new List<byte>();
        string rest = path;
        if (rest.StartsWith('\\')) { bytes.Add(RootChar); rest = rest[1..]; }
        string[] segments = rest.Split('.');
        if (segments.Length == 2) bytes.Add(DualNamePrefix);
        else if (segments.Length != 1) throw new ArgumentException("only one or two name segments are supported", nameof(path));
        foreach (string segment in segments) bytes.AddRange(NameSeg(segment));
        return bytes.ToArray();
    }

    private static byte[] NameSeg(string segment)
    {
        if (segment.Length is 0 or > 4) throw new ArgumentException($"name segment '{segment}' must have 1-4 characters");
        string padded = segment.PadRight(4, '_');
        Debug.Assert(padded[0] is '_' or >= 'A' and <= 'Z', "LeadNameChar is A-Z or '_'");
        return [(byte)padded[0], (byte)padded[1], (byte)padded[2], (byte)padded[3]];
    }

    /// <summary>Scope (path) { terms }.</summary>
    public static byte[] Scope(string path, params byte[][] terms) => WithPkgLength([ScopeOp], NameString(path), terms);

    /// <summary>Device (name) { terms }.</summary>
    public static byte[] Device(string name, params byte[][] terms) => WithPkgLength([ExtOpPrefix, DeviceOp], NameString(name), terms);

    /// <summary>Name (name, object).</summary>
    public static byte[] Name(string name, byte[] dataObject) => [NameOp, .. NameString(name), .. dataObject];

    /// <summary>The shortest integer encoding: ZeroOp, OneOp, or a Byte/Word/DWord/QWord constant (§20.2.3).</summary>
    public static byte[] Integer(ulong value) => value switch
    {
        0 => [ZeroOp],
        1 => [OneOp],
        <= byte.MaxValue => [BytePrefix, (byte)value],
        <= ushort.MaxValue => [WordPrefix, (byte)value, (byte)(value >> 8)],
        <= uint.MaxValue => [DWordPrefix, .. BitConverter.GetBytes((uint)value)],
        _ => [QWordPrefix, .. BitConverter.GetBytes(value)],
    };

    /// <summary>
    /// EisaId("PNPxxxx") (ACPI 6.x §19.6.35): three letters of 5 bits each ('A' = 1) and four hex digits,
    /// as a 32-bit big-endian value, stored as a DWord constant (so the bytes in memory are in that order).
    /// </summary>
    public static byte[] EisaId(string id)
    {
        if (id.Length != 7) throw new ArgumentException("an EISA ID is three letters and four hex digits", nameof(id));
        uint compressed = (uint)(id[0] - '@') << 26 | (uint)(id[1] - '@') << 21 | (uint)(id[2] - '@') << 16
            | Convert.ToUInt32(id[3..], 16);
        return [DWordPrefix, (byte)(compressed >> 24), (byte)(compressed >> 16), (byte)(compressed >> 8), (byte)compressed];
    }

    /// <summary>Buffer () { bytes }: BufferOp PkgLength BufferSize ByteList (§20.2.5.4).</summary>
    public static byte[] Buffer(byte[] contents) => WithPkgLength([BufferOp], Integer((ulong)contents.Length), [contents]);

    /// <summary>Package () { elements }: PackageOp PkgLength NumElements PackageElementList (§20.2.5.4).</summary>
    public static byte[] Package(params byte[][] elements)
    {
        if (elements.Length > byte.MaxValue) throw new ArgumentException("NumElements is one byte", nameof(elements));
        return WithPkgLength([PackageOp], [(byte)elements.Length], elements);
    }

    private static byte[] WithPkgLength(byte[] opcode, byte[] head, byte[][] terms)
    {
        var content = new List<byte>(head);
        foreach (byte[] term in terms) content.AddRange(term);
        return [.. opcode, .. PkgLength(content.Count), .. content];
    }
}
