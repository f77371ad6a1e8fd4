namespace JitVirt.LinuxBoot.Tests;

/// <summary>
/// The cached Linux test guest built by <c>make-linux-guest.sh amd64 DIR</c> from Debian packages: Debian's
/// stock bzImage (<c>vmlinuz</c>) and a busybox initramfs whose /init prints <see cref="Marker"/> and ends
/// the guest as its <c>jvexit=</c> argument says. The folder is <c>$JITVIRT_LINUX_GUEST</c>, or
/// <c>~/.cache/jitvirt/linux-guest-amd64</c> when that is unset. The guest is never part of the repository.
/// </summary>
public static class LinuxGuest
{
    public const string DirectoryVariable = "JITVIRT_LINUX_GUEST";
    public const string KernelFile = "vmlinuz";
    public const string InitrdFile = "initramfs.cpio.gz";
    /// <summary>What the guest's /init prints once user space runs (the script's MARKER default).</summary>
    public const string Marker = "JITVIRT-BOOT-OK";

    public static string Directory =>
        Environment.GetEnvironmentVariable(DirectoryVariable) is { Length: > 0 } dir
            ? dir
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "jitvirt", "linux-guest-amd64");

    public static string KernelPath => Path.Combine(Directory, KernelFile);
    public static string InitrdPath => Path.Combine(Directory, InitrdFile);

    public static bool IsPresent => File.Exists(KernelPath) && File.Exists(InitrdPath);

    public static string MissingMessage =>
        $"Linux guest not found in {Directory} (set {DirectoryVariable}, or build it with " +
        $"'make-linux-guest.sh amd64 {Directory}'; see README, \"Linux boot test\")";
}

/// <summary>A fact that is skipped, saying why, when the cached Linux guest is absent.</summary>
public sealed class LinuxGuestFactAttribute : FactAttribute
{
    public LinuxGuestFactAttribute()
    {
        if (!LinuxGuest.IsPresent) Skip = LinuxGuest.MissingMessage;
    }
}
