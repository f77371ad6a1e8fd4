namespace JitVirt.Machine.Loaders;

/// <summary>
/// The Multiboot (v0.6.96) header of an OS image (spec §3.1.1): magic, flags and checksum in the
/// first 8192 bytes, 32-bit aligned, then the address fields (§3.1.3, flag 16) and the graphics
/// fields (§3.1.4, flag 2).
/// </summary>
public sealed record MultibootHeader
{
    /// <summary>Header magic (§3.1.2).</summary>
    public const uint Magic = 0x1BADB002;
    /// <summary>EAX at entry: the boot loader magic (§3.2).</summary>
    public const uint BootloaderMagic = 0x2BADB002;
    /// <summary>The header lies entirely within the first 8192 bytes (§3.1.1).</summary>
    public const int SearchLimit = 8192;
    public const int Alignment = 4;

    // Flags (§3.1.2). Bits 0-15 are requirements: a loader must refuse an image that sets one it
    // does not understand; bits 16-31 are optional features.
    /// <summary>Bit 0: modules must be page (4 KiB) aligned.</summary>
    public const uint PageAlignModules = 1u << 0;
    /// <summary>Bit 1: mem_lower/mem_upper (and the memory map) must be provided.</summary>
    public const uint MemoryInformation = 1u << 1;
    /// <summary>Bit 2: video mode information must be provided.</summary>
    public const uint VideoMode = 1u << 2;
    /// <summary>Bit 16: the address fields at offsets 12-28 are valid (the "a.out kludge").</summary>
    public const uint AddressFields = 1u << 16;
    public const uint RequiredMask = 0xFFFF;
    public const uint UnderstoodRequirements = PageAlignModules | MemoryInformation | VideoMode;

    /// <summary>File offset of the magic.</summary>
    public required long Offset { get; init; }
    public required uint Flags { get; init; }
    public uint HeaderAddr { get; init; }
    public uint LoadAddr { get; init; }
    public uint LoadEndAddr { get; init; }
    public uint BssEndAddr { get; init; }
    public uint EntryAddr { get; init; }
    public uint ModeType { get; init; }
    public uint Width { get; init; }
    public uint Height { get; init; }
    public uint Depth { get; init; }

    public bool HasAddressFields => (Flags & AddressFields) != 0;
    public bool WantsVideoMode => (Flags & VideoMode) != 0;

    /// <summary>
    /// Finds the first header whose checksum holds (magic + flags + checksum = 0 mod 2^32), as GRUB
    /// and QEMU do, and checks its requirement bits.
    /// </summary>
    public static MultibootHeader Find(ImageFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var reader = new ImageReader(file);
        long limit = Math.Min(SearchLimit, file.Length) - 12;
        long badChecksumAt = -1;
        for (long offset = 0; offset <= limit; offset += Alignment)
        {
            if (reader.U32(offset, "Multiboot magic") != Magic) continue;
            uint flags = reader.U32(offset + 4, "Multiboot flags");
            uint checksum = reader.U32(offset + 8, "Multiboot checksum");
            if (unchecked(Magic + flags + checksum) != 0)
            {
                if (badChecksumAt < 0) badChecksumAt = offset;
                continue;
            }
            return Parse(file, reader, offset, flags);
        }
        if (badChecksumAt >= 0)
            throw file.Error($"bad Multiboot header checksum at offset 0x{badChecksumAt:X} (magic + flags + checksum must be 0)");
        throw file.Error($"not a Multiboot image: no header magic 0x{Magic:X8} at a 4-byte aligned offset in the first {SearchLimit} bytes");
    }

    private static MultibootHeader Parse(ImageFile file, ImageReader reader, long offset, uint flags)
    {
        uint unknown = flags & RequiredMask & ~UnderstoodRequirements;
        if (unknown != 0)
            throw file.Error($"the Multiboot header requires features this loader does not provide (flags bits 0x{unknown:X4})");
        var header = new MultibootHeader { Offset = offset, Flags = flags };
        if ((flags & AddressFields) != 0)
        {
            header = header with
            {
                HeaderAddr = reader.U32(offset + 12, "Multiboot header_addr"),
                LoadAddr = reader.U32(offset + 16, "Multiboot load_addr"),
                LoadEndAddr = reader.U32(offset + 20, "Multiboot load_end_addr"),
                BssEndAddr = reader.U32(offset + 24, "Multiboot bss_end_addr"),
                EntryAddr = reader.U32(offset + 28, "Multiboot entry_addr"),
            };
        }
        if ((flags & VideoMode) != 0)
        {
            header = header with
            {
                ModeType = reader.U32(offset + 32, "Multiboot mode_type"),
                Width = reader.U32(offset + 36, "Multiboot width"),
                Height = reader.U32(offset + 40, "Multiboot height"),
                Depth = reader.U32(offset + 44, "Multiboot depth"),
            };
        }
        return header;
    }
}
