namespace JitVirt.Cpu.Platform;

/// <summary>The processor's view of the I/O address space (IN/OUT/INS/OUTS). Size is 1, 2 or 4.</summary>
public interface IPortIo
{
    uint In(ushort port, int size);
    void Out(ushort port, int size, uint value);
}

/// <summary>No devices: reads return all ones, writes are dropped.</summary>
public sealed class NullPortIo : IPortIo
{
    public static readonly NullPortIo Instance = new();
    public uint In(ushort port, int size) => size == 4 ? 0xFFFF_FFFF : (1u << (size * 8)) - 1;
    public void Out(ushort port, int size, uint value) { }
}
