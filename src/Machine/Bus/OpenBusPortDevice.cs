namespace JitVirt.Machine.Bus;

/// <summary>
/// Stands in for every unassigned port range. Nothing drives the ISA data lines, so pull-ups make a
/// read return all ones; writes go nowhere. Being an ordinary device, a miss takes the same path as a hit.
/// </summary>
public sealed class OpenBusPortDevice : IPortIoDevice
{
    public static readonly OpenBusPortDevice Instance = new();

    private OpenBusPortDevice() { }

    /// <summary>All ones; <see cref="PortIoBus.Read"/> masks every read to its size, so no per-size work here.</summary>
    public uint ReadPort(ushort port, int size) => uint.MaxValue;

    public void WritePort(ushort port, int size, uint value) { }
}
