using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Memory;
using JitVirt.Cpu.Platform;

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
    public byte[] Load(int bitness, ulong address, Action<Assembler> emit) => GuestCode.AssembleInto(Memory, bitness, address, emit);

    /// <summary>Puts the processor in real mode at <paramref name="cs"/>:<paramref name="ip"/> with flat 64 KiB segments.</summary>
    public void StartRealMode(ushort cs, ushort ip) => RealModeStart.Apply(Cpu, cs, ip);

    /// <summary>Runs until HLT (with interrupts unable to wake it), shutdown, exit, or the budget.</summary>
    public StopReason Run(long maxInstructions = 10_000_000) => Interpreter.Run(maxInstructions);

    /// <summary>Text written to port 0xE9.</summary>
    public string Console => Ports.DebugConsole.ToString();

    public void Dispose() => Memory.Dispose();
}
