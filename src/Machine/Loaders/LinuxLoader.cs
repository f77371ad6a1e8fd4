using System.Text;
using JitVirt.Machine.Firmware;

namespace JitVirt.Machine.Loaders;

/// <summary>
/// Boots a Linux bzImage by the 32-bit or 64-bit boot protocol (Documentation/arch/x86/boot.rst):
/// the protected-mode kernel at 0x100000 (or pref_address), the zero page, command line, initrd,
/// GDT and, for 64-bit entry, identity page tables, with the entry state the protocol specifies.
/// The real-mode setup code is not run, so nothing needs to be loaded below 1 MiB for it.
/// </summary>
public static class LinuxLoader
{
    // Low-memory layout (the addresses QEMU's and Firecracker's direct kernel boot use).
    public const ulong GdtAddress = 0x500;
    public const ulong ZeroPageAddress = 0x7000;
    public const ulong PageTablesAddress = 0x9000;
    public const ulong CommandLineAddress = 0x20000;
    /// <summary>Where a bzImage's protected-mode kernel goes (boot.rst: "loaded at 0x100000").</summary>
    public const ulong DefaultLoadAddress = 0x100000;
    /// <summary>The 64-bit entry point is 0x200 past the start of the protected-mode kernel (boot.rst, 64-bit boot protocol).</summary>
    public const ulong Entry64Offset = 0x200;
    public const ulong InitrdAlignment = 0x1000;

    public static BootImage Load(ImageFile kernel, GuestMemoryLayout memory, LinuxBootOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(memory);
        options ??= new LinuxBootOptions();
        var image = BzImage.Parse(kernel);
        var header = image.Header;
        bool entry64 = header.Supports64BitEntry && !options.Force32BitEntry;

        // Command line: at most cmdline_size bytes, the terminating NUL not counted (boot.rst).
        byte[] cmdline = new byte[Encoding.UTF8.GetByteCount(options.CommandLine) + 1];
        Encoding.UTF8.GetBytes(options.CommandLine, cmdline);
        if (cmdline.Length - 1 > header.CmdlineSize)
            throw kernel.Error($"the command line is {cmdline.Length - 1} bytes; this kernel accepts at most {header.CmdlineSize} (cmdline_size)");
        if (!memory.IsUsableRam(GdtAddress, CommandLineAddress + (ulong)cmdline.Length))
            throw kernel.Error($"guest RAM is too small for the boot data below 1 MiB (needs up to 0x{CommandLineAddress + (ulong)cmdline.Length:X})");

        // Kernel: the memory it needs is init_size from its load address (boot.rst, init_size).
        ulong kernelBytes = (ulong)image.ProtectedModeKernel.Length;
        ulong reserve = Math.Max(kernelBytes, header.InitSize);
        ulong load = ChooseLoadAddress(header, reserve, memory);
        ulong kernelEnd = load + reserve;
        if (!memory.IsUsableRam(load, kernelEnd))
            throw kernel.Error($"the kernel needs 0x{load:X}-0x{kernelEnd:X} ({reserve >> 10} KiB incl. init_size) but guest RAM ends at 0x{memory.HighMemoryEnd:X}");

        var writes = new List<GuestWrite> { new("protected-mode kernel", load, image.ProtectedModeKernel) };
        var bootParams = new BootParams(image)
        {
            // The setup code that would use a heap is not run.
            LoadFlags = (byte)(header.LoadFlags & ~SetupHeader.CanUseHeap),
            HeapEndPtr = 0,
            Code32Start = (uint)load,
            CmdLinePtr = (uint)CommandLineAddress,
            AcpiRsdpAddr = options.AcpiRsdpAddress,
        };
        bootParams.SetE820(memory.MemoryMap, kernel);

        if (options.Initrd is { } initrd)
        {
            ulong address = PlaceInitrd(initrd, header, memory, kernelEnd);
            writes.Add(new GuestWrite(initrd.Name, address, initrd.Bytes));
            bootParams.RamdiskImage = (uint)address;
            bootParams.RamdiskSize = (uint)initrd.Length;
        }

        writes.Add(new GuestWrite("zero page", ZeroPageAddress, bootParams.Bytes.ToArray()));
        writes.Add(new GuestWrite("kernel command line", CommandLineAddress, cmdline));
        BootState entry;
        if (entry64)
        {
            writes.Add(new GuestWrite("boot GDT", GdtAddress, LongModeEntry.Gdt()));
            writes.Add(new GuestWrite("identity page tables", PageTablesAddress, IdentityPageTables.Build(PageTablesAddress)));
            entry = LongModeEntry.At(load + Entry64Offset, GdtAddress, PageTablesAddress) with { Rsi = ZeroPageAddress };
        }
        else
        {
            writes.Add(new GuestWrite("boot GDT", GdtAddress, ProtectedModeEntry.Gdt()));
            // boot.rst, 32-bit boot protocol: ESI = boot_params; EBP, EDI and EBX zero.
            entry = ProtectedModeEntry.At(load, GdtAddress) with { Rsi = ZeroPageAddress };
        }
        // The kernel is entered as if a BIOS had run (boot.rst): with the MTRRs it would have set up.
        entry = entry with { Msrs = FirmwareMtrrs.For(E820MemoryMapBuilder.DefaultPciHoleStart) };
        return new BootImage(writes, [], entry);
    }

    /// <summary>
    /// pref_address when the kernel is relocatable, the address is aligned to kernel_alignment and
    /// the kernel's init_size fits there (boot.rst, pref_address); otherwise 0x100000.
    /// </summary>
    private static ulong ChooseLoadAddress(SetupHeader header, ulong reserve, GuestMemoryLayout memory)
    {
        ulong pref = header.PrefAddress;
        bool aligned = header.KernelAlignment == 0 || pref % header.KernelAlignment == 0;
        if (header.RelocatableKernel && pref >= DefaultLoadAddress && aligned && pref + reserve > pref && memory.IsUsableRam(pref, pref + reserve))
            return pref;
        return DefaultLoadAddress;
    }

    /// <summary>
    /// As high as possible, 4 KiB aligned, ending at or below initrd_addr_max + 1 and the end of
    /// RAM, above the kernel's init_size (boot.rst, "initrd_addr_max").
    /// </summary>
    private static ulong PlaceInitrd(ImageFile initrd, SetupHeader header, GuestMemoryLayout memory, ulong kernelEnd)
    {
        ulong size = (ulong)initrd.Length;
        ulong limit = Math.Min((ulong)header.InitrdAddrMax + 1, memory.HighMemoryEnd);
        if (size > limit || ((limit - size) & ~(InitrdAlignment - 1)) < kernelEnd)
            throw initrd.Error($"the {size >> 10} KiB initrd does not fit between the kernel's end 0x{kernelEnd:X} and 0x{limit:X} (the lower of initrd_addr_max + 1 and the end of RAM)");
        return (limit - size) & ~(InitrdAlignment - 1);
    }
}
