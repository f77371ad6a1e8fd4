namespace JitVirt.Machine.Loaders;

/// <summary>What the user asked for beyond the kernel itself (-append, -initrd).</summary>
public sealed record LinuxBootOptions
{
    public string CommandLine { get; init; } = "";
    public ImageFile? Initrd { get; init; }
    /// <summary>Physical address of the ACPI RSDP for boot_params.acpi_rsdp_addr; 0 lets the kernel scan for it.</summary>
    public ulong AcpiRsdpAddress { get; init; }
    /// <summary>Enter through the 32-bit boot protocol even when the kernel has a 64-bit entry point.</summary>
    public bool Force32BitEntry { get; init; }
}
