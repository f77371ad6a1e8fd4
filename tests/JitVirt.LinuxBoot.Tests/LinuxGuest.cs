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

    /// <summary>How many times the front-end boot tests run (default 1); the lead runs acceptance 1 with 5.</summary>
    public const string RepeatVariable = "JITVIRT_LINUX_REPEAT";

    /// <summary>The acceptance boot: ACPI, local APIC and I/O APIC in use, /init powers off through ACPI S5.</summary>
    public const string AcpiCommandLine = "console=ttyS0 panic=-1 jvexit=poweroff";

    /// <summary>
    /// Set to 1 to boot on host time instead of the deterministic virtual clock: repeated deterministic boots
    /// retire the same instructions every time, host-time boots see timer interrupts land differently.
    /// </summary>
    public const string HostTimeVariable = "JITVIRT_LINUX_HOST_TIME";

    public static bool HostTime => Environment.GetEnvironmentVariable(HostTimeVariable) == "1";

    public static int Repeat =>
        int.TryParse(Environment.GetEnvironmentVariable(RepeatVariable), out int n) && n > 0 ? n : 1;

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

/// <summary>A theory that is skipped, saying why, when the cached Linux guest is absent.</summary>
public sealed class LinuxGuestTheoryAttribute : TheoryAttribute
{
    public LinuxGuestTheoryAttribute()
    {
        if (!LinuxGuest.IsPresent) Skip = LinuxGuest.MissingMessage;
    }
}

/// <summary>A fact that is skipped, saying why, when the cached Linux guest or QEMU is absent.</summary>
public sealed class LinuxGuestAndQemuFactAttribute : FactAttribute
{
    public LinuxGuestAndQemuFactAttribute()
    {
        if (!LinuxGuest.IsPresent) Skip = LinuxGuest.MissingMessage;
        else if (!QemuComparison.QemuMachine.IsPresent) Skip = QemuComparison.QemuMachine.MissingMessage;
    }
}
