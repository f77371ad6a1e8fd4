namespace JitVirt.Machine.Loaders;

/// <summary>
/// A Linux bzImage split as boot.rst describes it: the real-mode setup (boot sector, setup header,
/// setup code: (setup_sects + 1) × 512 bytes) and the protected-mode kernel after it.
/// </summary>
public sealed record BzImage(ImageFile File, SetupHeader Header, ReadOnlyMemory<byte> ProtectedModeKernel)
{
    public static BzImage Parse(ImageFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var header = SetupHeader.Parse(file);
        int setupSize = header.SetupSize;
        if (file.Length <= setupSize)
            throw file.Error($"truncated: the real-mode setup is {setupSize} bytes (setup_sects {header.SetupSects}) and the file ends at {file.Length}, before the protected-mode kernel");
        // syssize counts 16-byte paragraphs of protected-mode code (boot.rst; 32 bits wide since 2.04).
        long kernelSize = header.SysSize == 0 ? file.Length - setupSize : header.SysSize * 16L;
        if (setupSize + kernelSize > file.Length)
            throw file.Error($"truncated: syssize says {kernelSize} bytes of protected-mode kernel, the file holds {file.Length - setupSize}");
        return new BzImage(file, header, file.Bytes.Slice(setupSize, (int)kernelSize));
    }
}
