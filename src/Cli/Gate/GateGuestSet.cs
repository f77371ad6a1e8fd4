using JitVirt.Machine.Guests;

namespace JitVirt.Cli.Gate;

/// <summary>
/// The fixed set of guests the gate runs: the demo guest, the long-mode compute guests, and the Linux boot
/// when asked for and its guest folder exists. The order here is the order of the report and the baseline.
/// </summary>
public static class GateGuestSet
{
    public const string LinuxGuestVariable = "JITVIRT_LINUX_GUEST";
    public const string LinuxMarker = "JITVIRT-BOOT-OK";

    /// <summary>The guests that fit in CI time (a few million instructions each).</summary>
    public static IReadOnlyList<GateGuest> Quick()
    {
        var guests = new List<GateGuest> { new("demo", "the built-in demo guest (real mode, paging, PIT, PIC, CPUID, MSR, HLT)") };
        foreach (var compute in LongModeComputeGuests.All)
            guests.Add(new GateGuest(compute.Name, compute.Description) { FlatImage = compute.BuildImage() });
        return guests;
    }

    /// <summary>
    /// The Linux boot of the README (Debian's kernel and busybox initramfs, until it resets the machine),
    /// or null with the reason when its folder (JITVIRT_LINUX_GUEST, else ~/.cache/jitvirt/linux-guest-amd64) has no guest.
    /// </summary>
    public static GateGuest? Linux(out string? missing)
    {
        string folder = Environment.GetEnvironmentVariable(LinuxGuestVariable) is { Length: > 0 } set
            ? set
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "jitvirt", "linux-guest-amd64");
        string kernel = Path.Combine(folder, "vmlinuz"), initrd = Path.Combine(folder, "initramfs.cpio.gz");
        if (!File.Exists(kernel) || !File.Exists(initrd))
        {
            missing = $"no Linux guest in {folder} (vmlinuz and initramfs.cpio.gz; set {LinuxGuestVariable})";
            return null;
        }
        missing = null;
        return new GateGuest("linux", "Debian's 6.1 kernel and busybox to its marker")
        {
            Arguments = ["-kernel", kernel, "-initrd", initrd, "-m", "256M", "-append", "console=ttyS0 acpi=off noapic nolapic jvexit=reboot"],
            TimeoutSeconds = 3600,
        };
    }
}
