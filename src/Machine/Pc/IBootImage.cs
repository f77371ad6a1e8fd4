namespace JitVirt.Machine.Pc;

/// <summary>
/// What the machine starts: it is loaded into a freshly reset machine at power-on and again after every
/// guest-requested reset (port 92h, CF9h, i8042, triple fault), so a reboot re-enters the image.
/// </summary>
public interface IBootImage
{
    /// <summary>Short description for diagnostics ("flat image at 0x8000", "BIOS 256 KiB", ...).</summary>
    string Description { get; }

    /// <summary>Writes the image into guest memory and sets the processor's entry state. The CPU has just been reset.</summary>
    void Load(PcMachine machine);
}
