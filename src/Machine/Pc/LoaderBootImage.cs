using JitVirt.Machine.Loaders;

namespace JitVirt.Machine.Pc;

/// <summary>
/// A boot image planned by one of the loaders in <c>Machine/Loaders</c> against the machine's own memory
/// map (E820 with the ACPI tables carved out). The plan is made once; every (re)boot installs its writes
/// again and applies its entry state. ROM windows are mapped at the first boot only: they survive resets.
/// </summary>
public sealed class LoaderBootImage(string description, Func<PcMachine, GuestMemoryLayout, BootImage> plan) : IBootImage
{
    private BootImage? _image;
    private bool _romsMapped;

    public string Description => description;

    public void Load(PcMachine machine)
    {
        _image ??= plan(machine, new GuestMemoryLayout(machine.Memory.RamSize, machine.MemoryMap));
        var image = _romsMapped ? _image with { Roms = [] } : _image;
        image.Boot(machine.Cpu);
        _romsMapped = true;
    }
}
