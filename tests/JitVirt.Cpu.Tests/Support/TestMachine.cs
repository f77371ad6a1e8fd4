using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Memory;
using JitVirt.Cpu.Platform;
using JitVirt.Cpu.State;

namespace JitVirt.Cpu.Tests.Support;

/// <summary>
/// A bare processor with RAM, a port-0xE9 console and a recording port bus, for instruction and
/// system tests. Guests are assembled in-process with Iced's <see cref="Assembler"/>.
/// </summary>
public sealed class TestMachine : IDisposable
{
    public PhysicalMemory Memory { get; }
    public Cpu Cpu { get; }
    public Interpreter Interpreter { get; }
    public RecordingPorts Ports { get; } = new();

    public TestMachine(ulong ramBytes = 16 << 20, IAddressTranslator? translator = null)
    {
        Memory = new PhysicalMemory(ramBytes);
        Cpu = new Cpu(Memory, translator ?? new UnpagedTranslator(), Ports);
        Interpreter = new Interpreter(Cpu);
    }

    /// <summary>Assembles <paramref name="emit"/> for <paramref name="bitness"/> at linear=physical <paramref name="address"/> and writes it to RAM.</summary>
    public byte[] Load(int bitness, ulong address, Action<Assembler> emit)
    {
        var a = new Assembler(bitness);
        emit(a);
        var w = new ByteWriter();
        a.Assemble(w, address);
        var bytes = w.Bytes.ToArray();
        Memory.WriteBytes(address, bytes);
        return bytes;
    }

    /// <summary>Puts the processor in real mode at <paramref name="cs"/>:<paramref name="ip"/> with flat 64 KiB segments.</summary>
    public void StartRealMode(ushort cs, ushort ip)
    {
        Cpu.Reset();
        for (int s = 0; s < SegmentIndex.Count; s++) Cpu.LoadRealModeSegment(s, 0);
        Cpu.LoadRealModeSegment(SegmentIndex.Cs, cs);
        Cpu.Rip = ip;
        Cpu.Gpr[State.Gpr.Rsp] = 0xFFFE;
    }

    /// <summary>Runs until HLT (with interrupts unable to wake it), shutdown, exit, or the budget.</summary>
    public StopReason Run(long maxInstructions = 10_000_000) => Interpreter.Run(maxInstructions);

    /// <summary>Text written to port 0xE9.</summary>
    public string Console => Ports.DebugConsole.ToString();

    public void Dispose() => Memory.Dispose();

    sealed class ByteWriter : CodeWriter
    {
        public readonly List<byte> Bytes = new();
        public override void WriteByte(byte value) => Bytes.Add(value);
    }
}

/// <summary>Paging stays off: tests that need paging use the MMU's walker.</summary>
public sealed class UnpagedTranslator : IAddressTranslator
{
    public bool Translate(Cpu cpu, ulong linear, AccessKind kind, bool user, out ulong physical, out uint pageFaultErrorCode)
    {
        physical = linear;
        pageFaultErrorCode = 0;
        return true;
    }

    public void Invalidate(Cpu cpu, ulong? linearPage) { }
}

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
