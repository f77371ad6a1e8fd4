using System.Buffers.Binary;
using JitVirt.Machine.Firmware;

namespace JitVirt.Machine.Loaders;

/// <summary>
/// struct boot_params, the "zero page" (Documentation/arch/x86/zero-page.rst): a 4 KiB page
/// holding a copy of the setup header at 0x1F1 with the loader's fields filled in, and the E820
/// map at 0x2D0.
/// </summary>
public sealed class BootParams
{
    public const int Size = 4096;
    /// <summary>acpi_rsdp_addr (zero-page.rst, protocol 2.14).</summary>
    public const int OffsetAcpiRsdpAddr = 0x070;
    /// <summary>e820_entries (zero-page.rst).</summary>
    public const int OffsetE820Entries = 0x1E8;
    /// <summary>e820_table: up to 128 entries of { u64 addr, u64 size, u32 type } (zero-page.rst).</summary>
    public const int OffsetE820Table = 0x2D0;
    public const int E820EntrySize = 20;
    public const int E820MaxEntries = 128;
    /// <summary>type_of_loader 0xFF: "undefined" boot loader (boot.rst, "type_of_loader").</summary>
    public const byte UndefinedLoader = 0xFF;

    private readonly byte[] _page = new byte[Size];

    /// <summary>A zero page holding a copy of the image's setup header, 0x1F1 up to its end (boot.rst, 64-bit boot protocol).</summary>
    public BootParams(BzImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        int start = SetupHeader.Offset, end = image.Header.End;
        image.File.Bytes.Span[start..end].CopyTo(_page.AsSpan(start));
        TypeOfLoader = UndefinedLoader;
    }

    public ReadOnlySpan<byte> Bytes => _page;

    public byte TypeOfLoader { set => _page[SetupHeader.OffsetTypeOfLoader] = value; }
    public byte LoadFlags
    {
        get => _page[SetupHeader.OffsetLoadFlags];
        set => _page[SetupHeader.OffsetLoadFlags] = value;
    }
    public ushort HeapEndPtr { set => BinaryPrimitives.WriteUInt16LittleEndian(_page.AsSpan(SetupHeader.OffsetHeapEndPtr), value); }
    public uint Code32Start { set => U32(SetupHeader.OffsetCode32Start, value); }
    public uint CmdLinePtr { set => U32(SetupHeader.OffsetCmdLinePtr, value); }
    public uint RamdiskImage { set => U32(SetupHeader.OffsetRamdiskImage, value); }
    public uint RamdiskSize { set => U32(SetupHeader.OffsetRamdiskSize, value); }
    public ulong AcpiRsdpAddr { set => BinaryPrimitives.WriteUInt64LittleEndian(_page.AsSpan(OffsetAcpiRsdpAddr), value); }

    /// <summary>Fills e820_entries and e820_table; more than 128 entries do not fit the zero page.</summary>
    public void SetE820(IReadOnlyList<E820Entry> map, ImageFile file)
    {
        if (map.Count > E820MaxEntries) throw file.Error($"the memory map has {map.Count} entries; the zero page holds {E820MaxEntries}");
        _page[OffsetE820Entries] = (byte)map.Count;
        for (int i = 0; i < map.Count; i++)
        {
            var slot = _page.AsSpan(OffsetE820Table + i * E820EntrySize, E820EntrySize);
            BinaryPrimitives.WriteUInt64LittleEndian(slot, map[i].Base);
            BinaryPrimitives.WriteUInt64LittleEndian(slot[8..], map[i].Length);
            BinaryPrimitives.WriteUInt32LittleEndian(slot[16..], (uint)map[i].Type);
        }
    }

    private void U32(int offset, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(_page.AsSpan(offset), value);
}
