using JitVirt.Machine.Bus;

namespace JitVirt.Machine.Devices.Pci;

/// <summary>BAR0 of the pci-testdev; wider accesses are split into byte accesses, low address first.</summary>
public sealed class PciTestDeviceMemoryRegion(PciTestDevice device) : IMmioDevice
{
    public ulong ReadMmio(ulong offset, int size)
    {
        ulong value = 0;
        for (int i = 0; i < size; i++)
            value |= (ulong)device.ReadByte(ClampOffset(offset + (ulong)i)) << (i * 8);
        return value;
    }

    public void WriteMmio(ulong offset, int size, ulong value)
    {
        for (int i = 0; i < size; i++)
        {
            ulong at = offset + (ulong)i;
            if (at < PciTestDevice.MemoryBarSize) device.WriteByte(isIo: false, (int)at, (byte)(value >> (i * 8)));
        }
    }

    private static int ClampOffset(ulong offset) => offset < PciTestDevice.MemoryBarSize ? (int)offset : -1;
}
