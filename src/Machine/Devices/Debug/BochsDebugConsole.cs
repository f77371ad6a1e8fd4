using JitVirt.Machine.Bus;

namespace JitVirt.Machine.Devices.Debug;

/// <summary>
/// The Bochs/QEMU debug console ("port E9 hack"): each byte written goes to the sink; a read returns E9h
/// so a guest can detect the console is present.
/// </summary>
public sealed class BochsDebugConsole(Action<byte> output) : IPortIoDevice
{
    public const ushort Port = 0xE9;
    private const byte PresenceSignature = 0xE9; // Bochs convention: read-back value = port number

    public uint ReadPort(ushort port, int size) => PresenceSignature;

    public void WritePort(ushort port, int size, uint value) => output((byte)value);
}
