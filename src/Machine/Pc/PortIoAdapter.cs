using JitVirt.Cpu.Platform;
using JitVirt.Machine.Bus;

namespace JitVirt.Machine.Pc;

/// <summary>The processor's IN/OUT path onto the machine's <see cref="PortIoBus"/>.</summary>
public sealed class PortIoAdapter(PortIoBus bus) : IPortIo
{
    public uint In(ushort port, int size) => bus.Read(port, size);

    public void Out(ushort port, int size, uint value) => bus.Write(port, size, value);
}
