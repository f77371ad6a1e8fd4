using JitVirt.Machine.Bus;

namespace JitVirt.Machine.Devices.Pci;

/// <summary>
/// Configuration mechanism #1: CONFIG_ADDRESS at 0xCF8 (dword accesses only) and CONFIG_DATA at
/// 0xCFC–0xCFF with byte lanes (PCI 3.0 §3.2.2.3.2). Non-dword accesses to 0xCF8 are not config
/// cycles; the spec passes them on as ordinary I/O, here they read ones and are dropped (0xCF9 is
/// the reset control register, owned by another device, so map only 0xCF8 itself as dword).
/// </summary>
public sealed class PciConfigMechanism1(PciBus bus) : IPortIoDevice
{
    public const ushort AddressPort = 0xCF8;
    public const ushort DataPort = 0xCFC;
    public const int DataPortCount = 4;

    public PciConfigAddress Address { get; private set; }

    public uint ReadPort(ushort port, int size)
    {
        uint ones = AllOnes(size);
        if (port == AddressPort) return size == 4 ? Address.Raw : ones;
        if (!TryResolve(port, out var function, out int offset)) return ones;
        return function!.ReadConfig(offset, size) & ones;
    }

    public void WritePort(ushort port, int size, uint value)
    {
        if (port == AddressPort)
        {
            if (size == 4) Address = new PciConfigAddress(value & PciConfigAddress.ImplementedBits);
            return;
        }
        if (TryResolve(port, out var function, out int offset)) function!.WriteConfig(offset, size, value);
    }

    /// <summary>Absent functions read all ones (PCI 3.0 §6.1: vendor ID 0xFFFF means no device).</summary>
    private bool TryResolve(ushort port, out PciFunction? function, out int offset)
    {
        function = null;
        offset = Address.Register + (port - DataPort);
        if (port < DataPort || port >= DataPort + DataPortCount || !Address.Enabled) return false;
        function = bus.Find(Address.Bus, Address.Device, Address.Function);
        return function is not null;
    }

    private static uint AllOnes(int size) => size >= 4 ? 0xFFFF_FFFFu : (1u << (size * 8)) - 1;
}
