namespace JitVirt.Machine.Devices.Pci;

/// <summary>Plain state of the pci-testdev: the selected test (-1 = none) and its write counter.</summary>
public sealed record PciTestDeviceState
{
    public int CurrentTest = -1;
    public uint Count;
}
