using JitVirt.Cpu.Platform;
using JitVirt.Machine.Bus;

namespace JitVirt.Cli.Logging;

/// <summary>
/// <c>-d guest_errors</c> for port I/O: passes every IN and OUT to the machine's bus and writes a line
/// when the port belongs to no device (the bus's open-bus filler answers it: reads all ones, writes dropped).
/// </summary>
public sealed class UnassignedPortLog(IPortIo inner, PortIoBus bus, TextWriter log) : IPortIo
{
    public uint In(ushort port, int size)
    {
        if (IsUnassigned(port)) log.Write($"guest error: read from unassigned I/O port 0x{port:x4} (size {size})\n");
        return inner.In(port, size);
    }

    public void Out(ushort port, int size, uint value)
    {
        if (IsUnassigned(port)) log.Write($"guest error: write of 0x{value:x} to unassigned I/O port 0x{port:x4} (size {size})\n");
        inner.Out(port, size, value);
    }

    private bool IsUnassigned(ushort port) => bus.Resolve(port) is OpenBusPortDevice;
}
