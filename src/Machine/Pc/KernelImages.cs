using JitVirt.Machine.Loaders;

namespace JitVirt.Machine.Pc;

/// <summary>
/// Picks the loader for a -kernel file by its contents, as QEMU does: a Linux bzImage carries "HdrS" at
/// 202h (Documentation/x86/boot.rst, "The real-mode kernel header"); an ELF file is booted through
/// Multiboot (kvm-unit-tests); anything else is a flat image entered at 0000:7C00 like a boot sector.
/// Also wraps -bios ROMs. Loader problems surface as <see cref="LoaderException"/> when the machine boots.
/// </summary>
public static class KernelImages
{
    private const int LinuxHeaderSignatureOffset = 0x202;
    private static ReadOnlySpan<byte> LinuxHeaderSignature => "HdrS"u8;
    private static ReadOnlySpan<byte> ElfMagic => [0x7F, (byte)'E', (byte)'L', (byte)'F'];

    public enum Kind { Linux, Multiboot, Flat }

    public static Kind Detect(ImageFile kernel)
    {
        var bytes = kernel.Bytes.Span;
        if (bytes.Length >= LinuxHeaderSignatureOffset + 4 && bytes.Slice(LinuxHeaderSignatureOffset, 4).SequenceEqual(LinuxHeaderSignature)) return Kind.Linux;
        if (bytes.StartsWith(ElfMagic)) return Kind.Multiboot;
        return Kind.Flat;
    }

    /// <summary>A boot image for <paramref name="kernel"/>; <paramref name="initrd"/> is the Linux initrd or the one Multiboot module.</summary>
    public static IBootImage ForKernel(ImageFile kernel, ImageFile? initrd, string commandLine)
    {
        var kind = Detect(kernel);
        if (kind == Kind.Flat && initrd is not null) throw kernel.Error("-initrd needs a Linux or Multiboot kernel, not a flat image");
        return kind switch
        {
            Kind.Linux => new LoaderBootImage($"Linux kernel {kernel.Name}", (machine, layout) => LinuxLoader.Load(kernel, layout, new LinuxBootOptions
            {
                CommandLine = commandLine,
                Initrd = initrd,
                AcpiRsdpAddress = machine.AcpiTables.Rsdp,
            })),
            Kind.Multiboot => new LoaderBootImage($"Multiboot kernel {kernel.Name}", (_, layout) =>
                MultibootLoader.Load(kernel, layout, commandLine, initrd is null ? null : [initrd])),
            _ => new LoaderBootImage($"flat image {kernel.Name}", (_, layout) => FlatBinaryLoader.LoadBootSector(kernel, layout, requireSignature: false)),
        };
    }

    /// <summary>A system BIOS ROM (-bios): mapped below 4 GiB and at E0000h, entered at the reset vector.</summary>
    public static IBootImage ForBios(ImageFile rom) => new LoaderBootImage($"BIOS {rom.Name}", (_, _) => RomImageLoader.Load(rom));
}
