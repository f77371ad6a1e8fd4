namespace JitVirt.Machine.Loaders;

/// <summary>
/// A system firmware image (<c>-bios</c>): mapped read-only so that it ends at 4 GiB, where the
/// reset vector F000:FFF0 with CS base 0xFFFF0000 fetches from (SDM vol.3 §10.1.4), and with its
/// last 128 KiB also visible at 0xE0000–0xFFFFF for the real-mode BIOS (QEMU's "isa-bios" alias).
/// </summary>
public static class RomImageLoader
{
    public const ulong FourGiB = 0x1_0000_0000;
    /// <summary>Images are whole 64 KiB blocks, as QEMU requires of <c>-bios</c> (pc_sysfw.c).</summary>
    public const int Granule = 64 * 1024;
    /// <summary>At most 16 MiB: 0xFF000000–0xFFFFFFFF, clear of the I/O APIC (0xFEC00000) and local APIC (0xFEE00000).</summary>
    public const int MaxSize = 16 * 1024 * 1024;
    /// <summary>The legacy BIOS window below 1 MiB: 0xE0000–0xFFFFF.</summary>
    public const int LegacyWindowSize = 128 * 1024;
    public const ulong OneMiB = 0x100000;

    public static BootImage Load(ImageFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        int size = file.Length;
        if (size == 0) throw file.Error("the ROM image is empty");
        if (size > MaxSize) throw file.Error($"the ROM image is {size} bytes; at most {MaxSize} (16 MiB) fit below 4 GiB");
        if (size % Granule != 0) throw file.Error($"the ROM image is {size} bytes, not a multiple of 64 KiB");

        byte[] image = file.Bytes.ToArray();
        int low = Math.Min(size, LegacyWindowSize);
        byte[] legacy = image.AsSpan(size - low).ToArray();
        RomMapping[] roms =
        [
            new RomMapping(file.Name, FourGiB - (ulong)size, image),
            new RomMapping(file.Name, OneMiB - (ulong)low, legacy),
        ];
        return new BootImage([], roms, BootState.ResetVector);
    }
}
