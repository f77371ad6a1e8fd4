using JitVirt.Machine.Bus;

namespace JitVirt.Machine.Tests;

/// <summary>An interrupt wire that records its level and counts rising edges.</summary>
internal sealed class RecordingLine : IInterruptLine
{
    public bool Level { get; private set; }
    public int RisingEdges { get; private set; }

    public void SetLevel(bool asserted)
    {
        if (asserted && !Level) RisingEdges++;
        Level = asserted;
    }
}

internal sealed class FixedValueDevice(uint value) : IPortIoDevice, IMmioDevice
{
    public ushort LastPort;
    public ulong LastOffset;
    public uint LastWrite;

    public uint ReadPort(ushort port, int size) { LastPort = port; return value; }
    public void WritePort(ushort port, int size, uint v) { LastPort = port; LastWrite = v; }
    public ulong ReadMmio(ulong offset, int size) { LastOffset = offset; return value; }
    public void WriteMmio(ulong offset, int size, ulong v) { LastOffset = offset; }
}
