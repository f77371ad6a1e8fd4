using Iced.Intel;
using JitVirt.Cpu.Memory;

namespace JitVirt.Cpu.Tests.Support;

/// <summary>Assembles guest code with Iced and writes it to RAM (shared by the CPU and IL tests' TestMachines).</summary>
public static class GuestCode
{
    /// <summary>Assembles <paramref name="emit"/> for <paramref name="bitness"/> at linear=physical <paramref name="address"/> and writes it to <paramref name="memory"/>.</summary>
    public static byte[] AssembleInto(PhysicalMemory memory, int bitness, ulong address, Action<Assembler> emit)
    {
        var a = new Assembler(bitness);
        emit(a);
        var w = new ByteWriter();
        a.Assemble(w, address);
        var bytes = w.Bytes.ToArray();
        memory.WriteBytes(address, bytes);
        return bytes;
    }

    sealed class ByteWriter : CodeWriter
    {
        public readonly List<byte> Bytes = new();
        public override void WriteByte(byte value) => Bytes.Add(value);
    }
}
