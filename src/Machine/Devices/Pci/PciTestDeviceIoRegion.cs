using JitVirt.Machine.Bus;

namespace JitVirt.Machine.Devices.Pci;

/// <summary>
/// BAR1 of the pci-testdev. Ports are absolute (as <see cref="IPortIoDevice"/> requires), so the
/// region subtracts the BAR's current base; wider accesses are split into bytes.
/// </summary>
public sealed class PciTestDeviceIoRegion(PciTestDevice device) : IPortIoDevice
{
    public uint ReadPort(ushort port, int size)
    {
        int offset = OffsetOf(port);
        uint value = 0;
        for (int i = 0; i < size; i++)
            value |= (uint)device.ReadByte(InRange(offset + i) ? offset + i : -1) << (i * 8);
        return value;
    }

    public void WritePort(ushort port, int size, uint value)
    {
        int offset = OffsetOf(port);
        for (int i = 0; i < size; i++)
        {
            if (InRange(offset + i)) device.WriteByte(isIo: true, offset + i, (byte)(value >> (i * 8)));
        }
    }

    private int OffsetOf(ushort port) => port - (int)device.GetBarAddress(PciTestDevice.IoBar);

    private static bool InRange(int offset) => offset >= 0 && offset < PciTestDevice.IoBarSize;
}
