namespace JitVirt.Machine.Loaders;

/// <summary>
/// Boot sectors and flat binaries: the file's bytes copied unchanged into conventional memory and
/// entered in real mode, as a BIOS enters a boot sector after INT 19h loaded it.
/// </summary>
public static class FlatBinaryLoader
{
    /// <summary>Where a BIOS loads the boot sector: 0000:7C00 (BIOS Boot Specification 1.01, INT 19h boot).</summary>
    public const ulong BootSectorAddress = 0x7C00;
    public const int SectorSize = 512;
    /// <summary>Offset of the boot signature 0x55, 0xAA, the last two bytes of the sector (BIOS Boot Specification 1.01).</summary>
    public const int SignatureOffset = 510;
    /// <summary>DL at entry: the first hard disk, BIOS drive 0x80 (the BIOS passes the boot drive in DL).</summary>
    public const byte FirstHardDisk = 0x80;

    /// <summary>
    /// Loads a boot sector (or a larger flat image whose first sector is one) at 0x7C00 and enters
    /// it at 0000:7C00 with DL=0x80. <paramref name="requireSignature"/> checks 0x55AA at offset 510.
    /// </summary>
    public static BootImage LoadBootSector(ImageFile file, GuestMemoryLayout memory, bool requireSignature = true)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(memory);
        if (file.Length == 0) throw file.Error("the boot sector image is empty");
        if (requireSignature)
        {
            if (file.Length < SectorSize)
                throw file.Error($"truncated: a boot sector is {SectorSize} bytes, the file has {file.Length}");
            var span = file.Bytes.Span;
            if (span[SignatureOffset] != 0x55 || span[SignatureOffset + 1] != 0xAA)
                throw file.Error($"no boot signature: bytes 510-511 are {span[SignatureOffset]:X2} {span[SignatureOffset + 1]:X2}, expected 55 AA");
        }
        return LoadFlat(file, memory, BootSectorAddress);
    }

    /// <summary>
    /// Loads <paramref name="file"/> unchanged at <paramref name="loadAddress"/> (below 1 MiB, so real
    /// mode can reach it) and enters it there: CS = 0 with IP = the address when it fits 16 bits,
    /// else CS = address >> 4 and IP = address &amp; 0xF. DL = 0x80.
    /// </summary>
    public static BootImage LoadFlat(ImageFile file, GuestMemoryLayout memory, ulong loadAddress)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(memory);
        if (file.Length == 0) throw file.Error("the image is empty");
        ulong end = loadAddress + (ulong)file.Length;
        if (!memory.IsUsableRam(loadAddress, end) || end > memory.LowMemoryEnd)
            throw file.Error($"the {file.Length}-byte image at 0x{loadAddress:X} does not fit in conventional memory (which ends at 0x{memory.LowMemoryEnd:X})");
        ushort segment = loadAddress <= 0xFFFF ? (ushort)0 : (ushort)(loadAddress >> 4);
        ushort offset = (ushort)(loadAddress - ((ulong)segment << 4));
        var entry = RealModeEntry.At(segment, offset, FirstHardDisk, (ushort)BootSectorAddress);
        return new BootImage([new GuestWrite(file.Name, loadAddress, file.Bytes)], [], entry);
    }
}
