using System.Text;
using Iced.Intel;
using JitVirt.Machine.Pc;

namespace JitVirt.Pc.Tests;

/// <summary>Tiny real-mode guests assembled with Iced, and machines that capture their output.</summary>
public static class TestGuests
{
    /// <summary>Where test guests are loaded and entered (0000:7C00, like a boot sector).</summary>
    public const ushort Origin = 0x7C00;

    public static FlatBootImage RealMode(Action<Assembler> emit)
    {
        var a = new Assembler(16);
        emit(a);
        var writer = new BytesWriter();
        a.Assemble(writer, Origin);
        return new FlatBootImage(writer.ToArray(), Origin, 0, Origin);
    }

    /// <summary>A deterministic machine whose COM1 and port E9h outputs land in <paramref name="serial"/> / <paramref name="debugConsole"/>.</summary>
    public static PcMachine Machine(MemoryStream serial, MemoryStream? debugConsole = null, Func<MachineConfig, MachineConfig>? tweak = null, Func<JitVirt.Cpu.Cpu, IVcpu>? vcpuFactory = null)
    {
        var config = new MachineConfig
        {
            RamBytes = 16 << 20,
            Serial = OutputTarget.ToStream(serial),
            DebugConsole = debugConsole is null ? null : OutputTarget.ToStream(debugConsole),
            Deterministic = true,
            NoReboot = true,
        };
        return new PcMachine(tweak is null ? config : tweak(config), vcpuFactory);
    }

    /// <summary>Where <see cref="InstallHandler"/> puts interrupt handlers: just above a 512-byte guest at 7C00h.</summary>
    public const ushort HandlerAddress = 0x7E00;

    /// <summary>Assembles a real-mode handler at <see cref="HandlerAddress"/> and points IVT entry <paramref name="vector"/> at it.</summary>
    public static void InstallHandler(PcMachine machine, byte vector, Action<Assembler> emit)
    {
        var a = new Assembler(16);
        emit(a);
        var writer = new BytesWriter();
        a.Assemble(writer, HandlerAddress);
        machine.Memory.WriteBytes(HandlerAddress, writer.ToArray());
        machine.Memory.WriteBytes((ulong)vector * 4, [HandlerAddress & 0xFF, HandlerAddress >> 8, 0, 0]); // IVT: offset, segment 0
    }

    public static string Text(MemoryStream stream) => Encoding.ASCII.GetString(stream.ToArray());

    private sealed class BytesWriter : CodeWriter
    {
        private readonly List<byte> _bytes = [];
        public override void WriteByte(byte value) => _bytes.Add(value);
        public byte[] ToArray() => [.. _bytes];
    }
}
