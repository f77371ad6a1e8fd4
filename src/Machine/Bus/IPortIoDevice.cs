namespace JitVirt.Machine.Bus;

/// <summary>
/// A device reached through the x86 I/O address space. <paramref name="port"/> is the absolute port
/// number; <paramref name="size"/> is 1, 2 or 4 bytes. A device never sees the CPU or the bus.
/// </summary>
public interface IPortIoDevice
{
    uint ReadPort(ushort port, int size);
    void WritePort(ushort port, int size, uint value);
}
