namespace JitVirt.Machine.Loaders;

/// <summary>
/// Boots a Multiboot (v0.6.96) kernel: finds and checks the header (§3.1), lays the image out
/// (<see cref="MultibootElfImage"/> or, with flag 16, <see cref="MultibootAoutImage"/>), places the
/// modules page-aligned after the kernel, builds the information structure (§3.3) and a GDT in
/// free conventional memory, and describes the §3.2 entry state.
/// </summary>
public static class MultibootLoader
{
    public const string BootLoaderName = "JitVirt";
    public const ulong PageSize = 0x1000;

    /// <summary>
    /// <paramref name="arguments"/> follow the kernel's file name on the command line, as GRUB and
    /// QEMU pass it (kernels such as kvm-unit-tests take the first word as the program name).
    /// Each of <paramref name="modules"/> (initrd files) becomes one module whose string is its name.
    /// </summary>
    public static BootImage Load(ImageFile kernel, GuestMemoryLayout memory, string arguments = "", IReadOnlyList<ImageFile>? modules = null)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(memory);
        modules ??= [];

        var header = MultibootHeader.Find(kernel);
        LoadedKernel image;
        if (header.HasAddressFields) image = MultibootAoutImage.Load(kernel, header, memory);
        else if (MultibootElfImage.IsElf(kernel)) image = MultibootElfImage.Load(kernel, memory);
        else throw kernel.Error("is neither an ELF image nor has Multiboot address fields (header flag 16)");

        var writes = new List<GuestWrite>(image.Segments);
        var placer = new BootDataPlacer(memory, image.Segments);

        // Modules follow the kernel, each on a page boundary (§3.1.2 flag 0; we always align).
        var placed = new List<MultibootModule>();
        ulong cursor = BootDataPlacer.AlignUp(Math.Max(image.End, 0x100000), PageSize);
        foreach (var module in modules)
        {
            ulong start = cursor, end = start + (ulong)module.Length;
            if (!memory.IsUsableRam(start, end))
                throw module.Error($"the {module.Length}-byte module does not fit in guest RAM after the kernel (0x{start:X}-0x{end:X}, RAM ends at 0x{memory.HighMemoryEnd:X})");
            writes.Add(new GuestWrite(module.Name, start, module.Bytes));
            placer.Reserve(start, end);
            placed.Add(new MultibootModule((uint)start, (uint)end, module.Name));
            cursor = BootDataPlacer.AlignUp(end, PageSize);
        }

        var info = new MultibootInfo
        {
            MemLowerKiB = (uint)(memory.LowMemoryEnd / 1024),
            MemUpperKiB = (uint)((memory.HighMemoryEnd - 0x100000) / 1024),
            CommandLine = arguments.Length == 0 ? kernel.Name : kernel.Name + " " + arguments,
            Modules = placed,
            MemoryMap = memory.MemoryMap,
            BootLoaderName = BootLoaderName,
            ReportTextFramebuffer = header.WantsVideoMode,
        };
        ulong infoAddress = placer.TryPlace((ulong)info.EncodedSize, 8, BootDataPlacer.LowFloor)
            ?? throw kernel.Error("no free guest RAM below 4 GiB for the Multiboot information structure");
        ulong gdtAddress = placer.TryPlace(BootGdt.Size, 8, BootDataPlacer.LowFloor)
            ?? throw kernel.Error("no free guest RAM for the boot GDT");
        writes.Add(new GuestWrite("Multiboot information", infoAddress, info.Encode((uint)infoAddress)));
        writes.Add(new GuestWrite("boot GDT", gdtAddress, ProtectedModeEntry.Gdt()));

        var entry = ProtectedModeEntry.At(image.Entry, gdtAddress) with
        {
            Rax = MultibootHeader.BootloaderMagic,
            Rbx = infoAddress,
        };
        return new BootImage(writes, [], entry);
    }
}
