using ELFSharp.ELF;
using ELFSharp.ELF.Segments;

namespace JitVirt.Machine.Loaders;

/// <summary>
/// Lays out a 32-bit ELF executable for Multiboot (spec §3.1.1: "the boot loader must be able to
/// load images that are in ELF format"): each PT_LOAD at its physical address p_paddr, p_filesz
/// bytes from the file and zeros up to p_memsz (BSS). The ELF headers are parsed by ELFSharp.
/// </summary>
public static class MultibootElfImage
{
    // ELF identification (System V ABI / ELF spec, "ELF Identification", e_ident[]).
    private static ReadOnlySpan<byte> ElfMagic => [0x7F, (byte)'E', (byte)'L', (byte)'F'];
    private const int EiClass = 4, EiData = 5;
    private const byte ElfClass32 = 1, ElfClass64 = 2, ElfData2Lsb = 1;

    /// <summary>True when the file starts with the ELF magic 0x7F 'E' 'L' 'F'.</summary>
    public static bool IsElf(ImageFile file) => file.Length >= 4 && file.Bytes.Span[..4].SequenceEqual(ElfMagic);

    public static LoadedKernel Load(ImageFile file, GuestMemoryLayout memory)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(memory);
        var ident = new ImageReader(file).Span(0, 16, "ELF identification");
        if (!ident[..4].SequenceEqual(ElfMagic)) throw file.Error("not an ELF file");
        if (ident[EiClass] == ElfClass64)
            throw file.Error("is a 64-bit ELF image; Multiboot loads 32-bit ELF only (convert it with objcopy -O elf32-i386, or use the a.out kludge, header flag 16)");
        if (ident[EiClass] != ElfClass32) throw file.Error($"unknown ELF class {ident[EiClass]}");
        if (ident[EiData] != ElfData2Lsb) throw file.Error("is a big-endian ELF image; x86 needs little-endian");

        ELF<uint> elf;
        try
        {
            // ELFSharp reads from a stream it owns; the bytes stay in memory.
            var stream = new MemoryStream(file.Bytes.ToArray(), writable: false);
            if (!ELFReader.TryLoad(stream, true, out IELF parsed) || parsed is not ELF<uint> elf32)
                throw file.Error("not a readable 32-bit ELF image");
            elf = elf32;
        }
        catch (LoaderException) { throw; }
        catch (Exception e) // ELFSharp reports malformed headers with assorted exception types
        {
            throw new LoaderException(file.Name, $"malformed ELF image ({e.Message})", e);
        }

        using (elf)
        {
            if (elf.Machine != ELFSharp.ELF.Machine.Intel386)
                throw file.Error($"is an ELF image for {elf.Machine}, not i386");
            var segments = new List<GuestWrite>();
            ulong entry = elf.EntryPoint;
            int index = 0;
            try
            {
                foreach (var ph in elf.Segments)
                {
                    int i = index++;
                    if (ph.Type != SegmentType.Load) continue;
                    if (ph.Size == 0) continue;
                    if ((ulong)ph.FileSize > ph.Size)
                        throw file.Error($"PT_LOAD segment {i}: p_filesz 0x{ph.FileSize:X} exceeds p_memsz 0x{ph.Size:X}");
                    if (ph.Offset < 0 || ph.FileSize < 0 || ph.Offset + ph.FileSize > file.Length)
                        throw file.Error($"truncated: PT_LOAD segment {i} (offset 0x{ph.Offset:X}, 0x{ph.FileSize:X} bytes) lies past the end of the {file.Length}-byte file");
                    var data = file.Bytes.Slice((int)ph.Offset, (int)ph.FileSize);
                    segments.Add(new GuestWrite($"PT_LOAD segment {i}", ph.PhysicalAddress, data, ph.Size));
                    // An entry given as a virtual address inside this segment runs at its physical copy (GRUB does the same).
                    if (ph.Address != ph.PhysicalAddress && elf.EntryPoint - ph.Address < ph.Size)
                        entry = (ulong)elf.EntryPoint - ph.Address + ph.PhysicalAddress;
                }
            }
            catch (LoaderException) { throw; }
            catch (Exception e)
            {
                throw new LoaderException(file.Name, $"malformed ELF program headers ({e.Message})", e);
            }
            if (segments.Count == 0) throw file.Error("the ELF image has no PT_LOAD segment");
            SegmentChecks.InRamAndDisjoint(file, segments, memory);
            return new LoadedKernel(segments, entry);
        }
    }
}
