using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Tests.Support;
using JitVirt.Mmu.Walker;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Cpu.Tests.Guests;

/// <summary>
/// Builds whole-system test guests: code for several bitnesses at fixed addresses, descriptor
/// tables and page tables in RAM, a console on port 0xE9 and an exit port at 0xF4 (the
/// isa-debug-exit convention). The guest runs from real mode at 0000:7C00 under the direct page
/// walker, as firmware would leave a boot sector.
/// </summary>
public sealed class GuestBuilder : IDisposable
{
    public const ushort ConsolePort = 0xE9;
    public const ushort ExitPort = 0xF4;

    public TestMachine Machine { get; } = new(16 << 20, new GuestPageWalker());

    public void Code(int bitness, ulong address, Action<Assembler> emit) => Machine.Load(bitness, address, emit);

    public void WriteQwords(ulong address, params ulong[] values)
    {
        var bytes = new byte[values.Length * 8];
        for (int i = 0; i < values.Length; i++) BitConverter.TryWriteBytes(bytes.AsSpan(i * 8), values[i]);
        Machine.Memory.WriteBytes(address, bytes);
    }

    /// <summary>A pseudo-descriptor (limit16, base32) for LGDT/LIDT from 16/32-bit code.</summary>
    public void WriteDescriptorTableRegister(ulong address, ushort limit, uint tableBase)
    {
        var b = new byte[6];
        BitConverter.TryWriteBytes(b.AsSpan(0), limit);
        BitConverter.TryWriteBytes(b.AsSpan(2), tableBase);
        Machine.Memory.WriteBytes(address, b);
    }

    /// <summary>Runs from real mode at 0000:7C00 until the guest halts; returns the value it wrote to the exit port, or null.</summary>
    public (StopReason Stop, uint? ExitCode) Run(long budget = 1_000_000)
    {
        Machine.StartRealMode(0, 0x7C00);
        var stop = Machine.Run(budget);
        uint? exit = null;
        foreach (var e in Machine.Ports.Log) if (e.Write && e.Port == ExitPort) exit = e.Value;
        return (stop, exit);
    }

    public string Console => Machine.Console;

    /// <summary>Emits OUT 0xE9 of each character (works in every mode).</summary>
    public static void Print(Assembler a, string text)
    {
        foreach (char c in text)
        {
            a.mov(al, (byte)c);
            a.@out((byte)ConsolePort, al);
        }
    }

    /// <summary>Emits the exit: OUT 0xF4 of <paramref name="status"/> (32-bit), then CLI; HLT.</summary>
    public static void Exit(Assembler a, int status)
    {
        a.mov(eax, status);
        a.@out((byte)ExitPort, eax);
        a.cli();
        a.hlt();
    }

    public void Dispose() => Machine.Dispose();
}
