namespace JitVirt.Machine.Devices.Pci;

/// <summary>
/// Bus 0 of the host bridge: 32 device slots × 8 functions (PCI 3.0 §3.2.2.3.2).
/// Departure: there are no PCI-to-PCI bridges, so every other bus number is empty.
/// </summary>
public sealed class PciBus
{
    public const int DeviceCount = 32;
    public const int FunctionCount = 8;

    private readonly PciFunction?[] _functions = new PciFunction?[DeviceCount * FunctionCount];

    public void Attach(int device, int function, PciFunction pciFunction)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)device, (uint)DeviceCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)function, (uint)FunctionCount);
        _functions[device * FunctionCount + function] = pciFunction;
    }

    public PciFunction? Find(int bus, int device, int function) =>
        bus == 0 ? _functions[device * FunctionCount + function] : null;

    /// <summary>Every attached function with its slot, for firmware resource assignment.</summary>
    public IReadOnlyList<(int Device, int Function, PciFunction Pci)> Functions()
    {
        var list = new List<(int, int, PciFunction)>();
        for (int i = 0; i < _functions.Length; i++)
        {
            if (_functions[i] is { } f) list.Add((i / FunctionCount, i % FunctionCount, f));
        }
        return list;
    }
}
