using JitVirt.Machine.Bus;

namespace JitVirt.Machine.Devices.Debug;

/// <summary>
/// QEMU's isa-debug-exit device (hw/misc/debugexit.c): a write of value v asks the machine to exit with
/// status (v &lt;&lt; 1) | 1, so a guest can never produce status 0. Reads return 0. Default iobase F4h, iosize 4.
/// </summary>
public sealed class IsaDebugExit(Action<int> exitRequested, ushort ioBase = IsaDebugExit.DefaultIoBase, int ioSize = IsaDebugExit.DefaultIoSize) : IPortIoDevice
{
    public const ushort DefaultIoBase = 0xF4;
    public const int DefaultIoSize = 4;

    public ushort IoBase => ioBase;
    public int IoSize => ioSize;

    public uint ReadPort(ushort port, int size) => 0;

    public void WritePort(ushort port, int size, uint value) => exitRequested((int)((value << 1) | 1));
}
