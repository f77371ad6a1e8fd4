using JitVirt.Machine.Pc;

namespace JitVirt.Cli;

/// <summary>
/// Chooses how to boot a -kernel file by its contents: Linux bzImage ("HdrS" at 202h, Linux boot protocol
/// §"The real-mode kernel header"), ELF (Multiboot kernels such as kvm-unit-tests), otherwise a flat image
/// entered in real mode like a boot sector at 0000:7C00.
/// </summary>
public static class BootImageFactory
{
    /// <summary>Where a flat image is loaded and entered: the boot-sector address (IBM PC BIOS INT 19h).</summary>
    public const ulong FlatLoadAddress = 0x7C00;
    /// <summary>A flat image must end below the extended BIOS data area at 9FC00h.</summary>
    private const ulong FlatLimit = 0x9FC00;
    private const int LinuxHeaderSignatureOffset = 0x202;
    private static ReadOnlySpan<byte> LinuxHeaderSignature => "HdrS"u8;
    private static ReadOnlySpan<byte> ElfMagic => [0x7F, (byte)'E', (byte)'L', (byte)'F'];

    public static byte[] ReadImage(string path, string what)
    {
        if (!File.Exists(path)) throw new UsageException($"{what} file '{path}' not found");
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new UsageException($"cannot read {what} file '{path}': {e.Message}"); }
        if (bytes.Length == 0) throw new UsageException($"{what} file '{path}' is empty");
        return bytes;
    }

    public static IBootImage ForKernel(string path, byte[] image, string? initrdPath, string? commandLine)
    {
        if (image.Length >= LinuxHeaderSignatureOffset + 4 && image.AsSpan(LinuxHeaderSignatureOffset, 4).SequenceEqual(LinuxHeaderSignature))
            throw new UsageException($"'{path}' is a Linux bzImage; the Linux boot protocol loader is not in this build yet");
        if (image.AsSpan().StartsWith(ElfMagic))
            throw new UsageException($"'{path}' is an ELF (Multiboot) kernel; the Multiboot loader is not in this build yet");
        if (initrdPath is not null) throw new UsageException("-initrd needs a Linux or Multiboot kernel, not a flat image");
        _ = commandLine; // a flat image has nowhere to receive a command line
        if (FlatLoadAddress + (ulong)image.Length > FlatLimit)
            throw new UsageException($"flat image '{path}' is {image.Length} bytes; at most {FlatLimit - FlatLoadAddress} fit below 640 KiB");
        return new FlatBootImage(image, FlatLoadAddress, 0, (ushort)FlatLoadAddress);
    }
}
