using System.Buffers.Binary;
using JitVirt.Machine.Loaders;

namespace JitVirt.Loaders.Tests;

/// <summary>Small images built byte by byte from the specs, so the tests need no files.</summary>
internal static class TestImages
{
    public static void U16(byte[] b, int at, ushort v) => BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(at), v);
    public static void U32(byte[] b, int at, uint v) => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(at), v);
    public static void U64(byte[] b, int at, ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(at), v);
    public static uint R32(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt32LittleEndian(b[at..]);
    public static ulong R64(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt64LittleEndian(b[at..]);

    public static ImageFile File(string name, byte[] bytes) => new(name, bytes);

    public record struct ElfSegment(uint Vaddr, uint Paddr, byte[] Data, uint MemSize);

    /// <summary>
    /// An ELF32 i386 executable: 52-byte ELF header, program headers (32 bytes each) right after,
    /// segment contents from offset 0x100, then an optional Multiboot header at the given offset.
    /// </summary>
    public static byte[] Elf32(uint entry, IReadOnlyList<ElfSegment> segments, byte elfClass = 1, int multibootAt = 0x80, uint multibootFlags = 0x3, bool badChecksum = false)
    {
        int dataStart = 0x100;
        int total = dataStart;
        foreach (var s in segments) total += s.Data.Length;
        var b = new byte[Math.Max(total, 0x200)];
        b[0] = 0x7F; b[1] = (byte)'E'; b[2] = (byte)'L'; b[3] = (byte)'F';
        b[4] = elfClass; b[5] = 1; b[6] = 1;          // ELFCLASS, ELFDATA2LSB, EV_CURRENT
        U16(b, 16, 2);                                // ET_EXEC
        U16(b, 18, 3);                                // EM_386
        U32(b, 20, 1);                                // e_version
        U32(b, 24, entry);
        U32(b, 28, 52);                               // e_phoff
        U32(b, 32, 0);                                // e_shoff: no sections
        U16(b, 40, 52);                               // e_ehsize
        U16(b, 42, 32);                               // e_phentsize
        U16(b, 44, (ushort)segments.Count);
        U16(b, 46, 40);                               // e_shentsize
        int offset = dataStart;
        for (int i = 0; i < segments.Count; i++)
        {
            int ph = 52 + i * 32;
            var s = segments[i];
            U32(b, ph, 1);                            // PT_LOAD
            U32(b, ph + 4, (uint)offset);
            U32(b, ph + 8, s.Vaddr);
            U32(b, ph + 12, s.Paddr);
            U32(b, ph + 16, (uint)s.Data.Length);
            U32(b, ph + 20, s.MemSize);
            U32(b, ph + 24, 7);
            U32(b, ph + 28, 0x1000);
            s.Data.CopyTo(b, offset);
            offset += s.Data.Length;
        }
        if (multibootAt >= 0) WriteMultibootHeader(b, multibootAt, multibootFlags, badChecksum);
        return b;
    }

    public static void WriteMultibootHeader(byte[] b, int at, uint flags, bool badChecksum = false)
    {
        U32(b, at, 0x1BADB002);
        U32(b, at + 4, flags);
        U32(b, at + 8, unchecked(0u - 0x1BADB002u - flags) + (badChecksum ? 1u : 0u));
    }

    /// <summary>
    /// A bzImage: a 512-byte boot sector with the setup header, setup_sects more sectors of setup,
    /// then <paramref name="kernel"/>. Header fields from boot.rst; version 2.15 unless given.
    /// </summary>
    public static byte[] BzImage(byte[] kernel, ushort version = 0x020F, byte setupSects = 1, ushort xloadflags = 1,
        uint initSize = 0x40_0000, uint cmdlineSize = 2047, uint initrdAddrMax = 0x7FFF_FFFF, bool relocatable = true,
        ulong prefAddress = 0x100_0000, uint kernelAlignment = 0x20_0000, byte loadflags = 0x01)
    {
        int setup = (setupSects + 1) * 512;
        var b = new byte[setup + kernel.Length];
        b[0x1F1] = setupSects;
        U32(b, 0x1F4, (uint)((kernel.Length + 15) / 16));  // syssize
        U16(b, 0x1FE, 0xAA55);                              // boot_flag
        b[0x200] = 0xEB; b[0x201] = 0x6A;                   // jmp: header ends at 0x202 + 0x6A = 0x26C
        U32(b, 0x202, 0x53726448);                          // "HdrS"
        U16(b, 0x206, version);
        b[0x211] = loadflags;
        U32(b, 0x214, 0x100000);                            // code32_start
        U32(b, 0x22C, initrdAddrMax);
        U32(b, 0x230, kernelAlignment);
        b[0x234] = relocatable ? (byte)1 : (byte)0;
        U16(b, 0x236, xloadflags);
        U32(b, 0x238, cmdlineSize);
        U64(b, 0x258, prefAddress);
        U32(b, 0x260, initSize);
        kernel.CopyTo(b, setup);
        return b;
    }

    public static byte[] Pattern(int length, int seed)
    {
        var b = new byte[length];
        for (int i = 0; i < length; i++) b[i] = (byte)(i * 7 + seed);
        return b;
    }
}
