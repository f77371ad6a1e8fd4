using Iced.Intel;

namespace JitVirt.NativeOracle.Native;

/// <summary>Assembles an Iced <see cref="Assembler"/> program for a fixed address and copies it into memory.</summary>
internal static unsafe class MachineCode
{
    private sealed class ListWriter : CodeWriter
    {
        public readonly List<byte> Bytes = [];
        public override void WriteByte(byte value) => Bytes.Add(value);
    }

    /// <summary>Assembles <paramref name="assembler"/> at <paramref name="address"/> and writes at most
    /// <paramref name="capacity"/> bytes there.</summary>
    public static void Place(Assembler assembler, byte* address, int capacity)
    {
        var writer = new ListWriter();
        assembler.Assemble(writer, (ulong)address);
        if (writer.Bytes.Count > capacity)
            throw new InvalidOperationException($"Stub of {writer.Bytes.Count} bytes exceeds its {capacity}-byte room.");
        for (int i = 0; i < writer.Bytes.Count; i++) address[i] = writer.Bytes[i];
    }
}
