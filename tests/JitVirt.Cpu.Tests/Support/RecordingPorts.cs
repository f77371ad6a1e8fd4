using JitVirt.Cpu.Platform;

namespace JitVirt.Cpu.Tests.Support;

/// <summary>Port bus for tests: 0xE9 collects text, every access is logged, a table of values answers reads.</summary>
public sealed class RecordingPorts : IPortIo
{
    public readonly System.Text.StringBuilder DebugConsole = new();
    public readonly List<(bool Write, ushort Port, int Size, uint Value)> Log = new();
    public readonly Dictionary<ushort, uint> ReadValues = new();

    public uint In(ushort port, int size)
    {
        uint v = ReadValues.TryGetValue(port, out var x) ? x : (size == 4 ? 0xFFFF_FFFF : (1u << (size * 8)) - 1);
        Log.Add((false, port, size, v));
        return v;
    }

    public void Out(ushort port, int size, uint value)
    {
        Log.Add((true, port, size, value));
        if (port == 0xE9) DebugConsole.Append((char)(value & 0xFF));
    }
}
