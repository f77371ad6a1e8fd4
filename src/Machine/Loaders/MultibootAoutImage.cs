namespace JitVirt.Machine.Loaders;

/// <summary>
/// Lays out an image by the Multiboot header's address fields (spec §3.1.3, flag 16, the "a.out
/// kludge"): the file from the offset that maps to load_addr is copied to load_addr up to
/// load_end_addr (0: to the end of the file), then zeros up to bss_end_addr (0: no BSS).
/// Used whenever flag 16 is set, whatever the file's format, as GRUB and QEMU do.
/// </summary>
public static class MultibootAoutImage
{
    public static LoadedKernel Load(ImageFile file, MultibootHeader header, GuestMemoryLayout memory)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(memory);
        if (!header.HasAddressFields) throw file.Error("the Multiboot header has no address fields (flag 16)");
        if (header.LoadAddr > header.HeaderAddr)
            throw file.Error($"Multiboot load_addr 0x{header.LoadAddr:X} is above header_addr 0x{header.HeaderAddr:X}");
        // The header's file offset corresponds to header_addr (§3.1.3).
        long loadOffset = header.Offset - (header.HeaderAddr - (long)header.LoadAddr);
        if (loadOffset < 0)
            throw file.Error($"Multiboot header_addr 0x{header.HeaderAddr:X} and load_addr 0x{header.LoadAddr:X} put the text start {-loadOffset} bytes before the start of the file");

        long loadSize;
        if (header.LoadEndAddr == 0)
        {
            loadSize = file.Length - loadOffset;
        }
        else
        {
            if (header.LoadEndAddr < header.LoadAddr)
                throw file.Error($"Multiboot load_end_addr 0x{header.LoadEndAddr:X} is below load_addr 0x{header.LoadAddr:X}");
            loadSize = header.LoadEndAddr - (long)header.LoadAddr;
            if (loadOffset + loadSize > file.Length)
                throw file.Error($"truncated: load_addr..load_end_addr needs {loadSize} bytes from offset 0x{loadOffset:X}, the file has {file.Length - loadOffset}");
        }

        ulong size = (ulong)loadSize;
        if (header.BssEndAddr != 0)
        {
            ulong loadEnd = header.LoadAddr + (ulong)loadSize;
            if (header.BssEndAddr < loadEnd)
                throw file.Error($"Multiboot bss_end_addr 0x{header.BssEndAddr:X} is below the end of the loaded text and data 0x{loadEnd:X}");
            size = header.BssEndAddr - (ulong)header.LoadAddr;
        }

        var data = file.Bytes.Slice((int)loadOffset, (int)loadSize);
        GuestWrite[] segments = [new GuestWrite("text, data and bss (Multiboot address fields)", header.LoadAddr, data, size)];
        SegmentChecks.InRamAndDisjoint(file, segments, memory);
        return new LoadedKernel(segments, header.EntryAddr);
    }
}
