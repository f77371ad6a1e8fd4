using System.Buffers.Binary;
using System.Text;
using JitVirt.Machine.Firmware;

namespace JitVirt.Machine.Loaders;

/// <summary>
/// The Multiboot information structure (spec §3.3) the loader hands over in EBX, and the arrays
/// and strings it points to. <see cref="Encode"/> lays them out in one block: the 116-byte
/// structure, the memory map, the module list, then the NUL-terminated strings.
/// </summary>
public sealed class MultibootInfo
{
    // flags bits (§3.3): which fields are valid.
    public const uint FlagMemory = 1u << 0;        // mem_lower, mem_upper
    public const uint FlagCmdline = 1u << 2;
    public const uint FlagModules = 1u << 3;       // mods_count, mods_addr
    public const uint FlagMemoryMap = 1u << 6;     // mmap_length, mmap_addr
    public const uint FlagBootLoaderName = 1u << 9;
    public const uint FlagFramebuffer = 1u << 12;  // framebuffer_*

    // Field offsets (§3.3).
    public const int OffsetFlags = 0, OffsetMemLower = 4, OffsetMemUpper = 8, OffsetBootDevice = 12, OffsetCmdline = 16;
    public const int OffsetModsCount = 20, OffsetModsAddr = 24, OffsetMmapLength = 44, OffsetMmapAddr = 48;
    public const int OffsetBootLoaderName = 64;
    public const int OffsetFramebufferAddr = 88, OffsetFramebufferPitch = 96, OffsetFramebufferWidth = 100;
    public const int OffsetFramebufferHeight = 104, OffsetFramebufferBpp = 108, OffsetFramebufferType = 109;
    public const int StructureSize = 116;

    /// <summary>One module entry: mod_start, mod_end, string, reserved (§3.3).</summary>
    public const int ModuleEntrySize = 16;
    /// <summary>One memory map entry: size (20, not counting itself), base_addr, length, type (§3.3).</summary>
    public const int MmapEntrySize = 24;
    public const uint MmapEntrySizeField = 20;

    /// <summary>framebuffer_type 2: EGA-standard text mode, width/height in characters (§3.3).</summary>
    public const byte FramebufferTypeEgaText = 2;

    public uint MemLowerKiB { get; init; }
    public uint MemUpperKiB { get; init; }
    public string? CommandLine { get; init; }
    public IReadOnlyList<MultibootModule> Modules { get; init; } = [];
    public IReadOnlyList<E820Entry> MemoryMap { get; init; } = [];
    public string? BootLoaderName { get; init; }
    /// <summary>The 80x25 text screen at 0xB8000, reported when the image asked for video information (header flag 2).</summary>
    public bool ReportTextFramebuffer { get; init; }

    public uint Flags =>
        FlagMemory
        | (CommandLine is null ? 0 : FlagCmdline)
        | FlagModules
        | (MemoryMap.Count == 0 ? 0 : FlagMemoryMap)
        | (BootLoaderName is null ? 0 : FlagBootLoaderName)
        | (ReportTextFramebuffer ? FlagFramebuffer : 0);

    /// <summary>Size of the block <see cref="Encode"/> produces.</summary>
    public int EncodedSize
    {
        get
        {
            int size = StructureSize + MemoryMap.Count * MmapEntrySize + Modules.Count * ModuleEntrySize;
            size += StringSize(CommandLine) + StringSize(BootLoaderName);
            foreach (var m in Modules) size += StringSize(m.CommandLine);
            return size;
        }
    }

    /// <summary>The structure and everything it points to, for guest-physical <paramref name="baseAddress"/>.</summary>
    public byte[] Encode(uint baseAddress)
    {
        var block = new byte[EncodedSize];
        var span = block.AsSpan();
        int cursor = StructureSize;

        Put(span, OffsetFlags, Flags);
        Put(span, OffsetMemLower, MemLowerKiB);
        Put(span, OffsetMemUpper, MemUpperKiB);

        uint mmapAddr = baseAddress + (uint)cursor;
        foreach (var e in MemoryMap)
        {
            Put(span, cursor, MmapEntrySizeField);
            BinaryPrimitives.WriteUInt64LittleEndian(span[(cursor + 4)..], e.Base);
            BinaryPrimitives.WriteUInt64LittleEndian(span[(cursor + 12)..], e.Length);
            Put(span, cursor + 20, (uint)e.Type);
            cursor += MmapEntrySize;
        }
        if (MemoryMap.Count != 0)
        {
            Put(span, OffsetMmapLength, (uint)(MemoryMap.Count * MmapEntrySize));
            Put(span, OffsetMmapAddr, mmapAddr);
        }

        int modulesAt = cursor;
        Put(span, OffsetModsCount, (uint)Modules.Count);
        Put(span, OffsetModsAddr, Modules.Count == 0 ? 0 : baseAddress + (uint)modulesAt);
        cursor += Modules.Count * ModuleEntrySize;

        if (CommandLine is not null) Put(span, OffsetCmdline, PutString(span, ref cursor, baseAddress, CommandLine));
        if (BootLoaderName is not null) Put(span, OffsetBootLoaderName, PutString(span, ref cursor, baseAddress, BootLoaderName));
        for (int i = 0; i < Modules.Count; i++)
        {
            int entry = modulesAt + i * ModuleEntrySize;
            Put(span, entry, Modules[i].Start);
            Put(span, entry + 4, Modules[i].End);
            Put(span, entry + 8, PutString(span, ref cursor, baseAddress, Modules[i].CommandLine));
        }

        if (ReportTextFramebuffer)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(span[OffsetFramebufferAddr..], 0xB8000);
            Put(span, OffsetFramebufferPitch, 80 * 2);
            Put(span, OffsetFramebufferWidth, 80);
            Put(span, OffsetFramebufferHeight, 25);
            span[OffsetFramebufferBpp] = 16;
            span[OffsetFramebufferType] = FramebufferTypeEgaText;
        }
        return block;
    }

    private static int StringSize(string? s) => s is null ? 0 : Encoding.UTF8.GetByteCount(s) + 1;

    private static uint PutString(Span<byte> span, ref int cursor, uint baseAddress, string s)
    {
        uint address = baseAddress + (uint)cursor;
        cursor += Encoding.UTF8.GetBytes(s, span[cursor..]);
        span[cursor++] = 0;
        return address;
    }

    private static void Put(Span<byte> span, int offset, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(span[offset..], value);
}
