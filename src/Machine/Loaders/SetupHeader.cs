namespace JitVirt.Machine.Loaders;

/// <summary>
/// The real-mode kernel header of a Linux bzImage, at offset 0x1F1 of the file and of the zero
/// page (Documentation/arch/x86/boot.rst, "The real-mode kernel header"). Offsets below are from
/// the start of the file / of struct boot_params.
/// </summary>
public sealed record SetupHeader
{
    public const int Offset = 0x1F1;
    public const int OffsetSetupSects = 0x1F1, OffsetSysSize = 0x1F4, OffsetBootFlag = 0x1FE, OffsetJump = 0x200;
    public const int OffsetHeader = 0x202, OffsetVersion = 0x206, OffsetTypeOfLoader = 0x210, OffsetLoadFlags = 0x211;
    public const int OffsetCode32Start = 0x214, OffsetRamdiskImage = 0x218, OffsetRamdiskSize = 0x21C;
    public const int OffsetHeapEndPtr = 0x224, OffsetCmdLinePtr = 0x228, OffsetInitrdAddrMax = 0x22C;
    public const int OffsetKernelAlignment = 0x230, OffsetRelocatableKernel = 0x234, OffsetXLoadFlags = 0x236;
    public const int OffsetCmdlineSize = 0x238, OffsetPrefAddress = 0x258, OffsetInitSize = 0x260;
    /// <summary>struct boot_params keeps the header below 0x290 (edd_mbr_sig_buffer follows; zero-page.rst).</summary>
    public const int MaxEnd = 0x290;

    /// <summary>"HdrS" (boot.rst, field "header").</summary>
    public const uint HeaderMagic = 0x53726448;
    /// <summary>boot_flag: 0xAA55 (boot.rst).</summary>
    public const ushort BootFlagMagic = 0xAA55;
    /// <summary>Oldest protocol accepted: 2.06 added cmdline_size, which the loader needs to check the command line.</summary>
    public const ushort MinimumVersion = 0x0206;

    /// <summary>loadflags bit 0 LOADED_HIGH: the protected-mode code is loaded at 0x100000 (boot.rst).</summary>
    public const byte LoadedHigh = 1 << 0;
    /// <summary>loadflags bit 7 CAN_USE_HEAP: heap_end_ptr is valid (boot.rst).</summary>
    public const byte CanUseHeap = 1 << 7;
    /// <summary>xloadflags bit 0 XLF_KERNEL_64: a 64-bit entry point at load address + 0x200 (boot.rst, protocol 2.12).</summary>
    public const ushort XlfKernel64 = 1 << 0;
    /// <summary>setup_sects 0 means 4 (boot.rst, "setup_sects").</summary>
    public const int DefaultSetupSects = 4;
    /// <summary>initrd_addr_max before protocol 2.03 was not in the header (boot.rst: assume 0x37FFFFFF).</summary>
    public const uint DefaultInitrdAddrMax = 0x37FF_FFFF;

    public required byte SetupSects { get; init; }
    public required uint SysSize { get; init; }
    public required ushort Version { get; init; }
    public required byte LoadFlags { get; init; }
    public required uint InitrdAddrMax { get; init; }
    public required uint KernelAlignment { get; init; }
    public required bool RelocatableKernel { get; init; }
    public required uint CmdlineSize { get; init; }
    /// <summary>0 before protocol 2.12.</summary>
    public required ushort XLoadFlags { get; init; }
    /// <summary>0 before protocol 2.10.</summary>
    public required ulong PrefAddress { get; init; }
    /// <summary>0 before protocol 2.10.</summary>
    public required uint InitSize { get; init; }
    /// <summary>End of the header in the file: 0x202 + the byte at 0x201 (boot.rst), capped at 0x290.</summary>
    public required int End { get; init; }

    /// <summary>Size of the real-mode part: (setup_sects + 1) sectors, the boot sector included.</summary>
    public int SetupSize => ((SetupSects == 0 ? DefaultSetupSects : SetupSects) + 1) * 512;
    public bool Supports64BitEntry => (XLoadFlags & XlfKernel64) != 0;

    public static SetupHeader Parse(ImageFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var r = new ImageReader(file);
        uint magic = r.U32(OffsetHeader, "setup header magic \"HdrS\"");
        if (magic != HeaderMagic)
            throw file.Error($"not a bzImage: no \"HdrS\" setup header magic at 0x{OffsetHeader:X} (found 0x{magic:X8})");
        ushort bootFlag = r.U16(OffsetBootFlag, "boot_flag");
        if (bootFlag != BootFlagMagic)
            throw file.Error($"not a bzImage: boot_flag at 0x{OffsetBootFlag:X} is 0x{bootFlag:X4}, expected 0xAA55");
        ushort version = r.U16(OffsetVersion, "setup header version");
        if (version < MinimumVersion)
            throw file.Error($"boot protocol {version >> 8}.{version & 0xFF:D2} is too old; 2.06 or newer is required");
        int end = Math.Min(OffsetHeader + r.U8(OffsetJump + 1, "setup header jump"), MaxEnd);
        byte loadFlags = r.U8(OffsetLoadFlags, "loadflags");
        if ((loadFlags & LoadedHigh) == 0)
            throw file.Error("is a zImage (loadflags LOADED_HIGH clear); only bzImage kernels are supported");
        return new SetupHeader
        {
            SetupSects = r.U8(OffsetSetupSects, "setup_sects"),
            SysSize = r.U32(OffsetSysSize, "syssize"),
            Version = version,
            LoadFlags = loadFlags,
            InitrdAddrMax = r.U32(OffsetInitrdAddrMax, "initrd_addr_max") is var max && max != 0 ? max : DefaultInitrdAddrMax,
            KernelAlignment = r.U32(OffsetKernelAlignment, "kernel_alignment"),
            RelocatableKernel = r.U8(OffsetRelocatableKernel, "relocatable_kernel") != 0,
            CmdlineSize = r.U32(OffsetCmdlineSize, "cmdline_size"),
            XLoadFlags = version >= 0x020C ? r.U16(OffsetXLoadFlags, "xloadflags") : (ushort)0,
            PrefAddress = version >= 0x020A ? r.U64(OffsetPrefAddress, "pref_address") : 0,
            InitSize = version >= 0x020A ? r.U32(OffsetInitSize, "init_size") : 0,
            End = end,
        };
    }
}
