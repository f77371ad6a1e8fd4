using Iced.Intel;
using JitVirt.NativeOracle;

namespace JitVirt.NativeOracle.Tests;

/// <summary>Encodes a few instructions with Iced's assembler for hand-written test cases.</summary>
internal static class Assembling
{
    private sealed class ListWriter : CodeWriter
    {
        public readonly List<byte> Bytes = [];
        public override void WriteByte(byte value) => Bytes.Add(value);
    }

    public static byte[] Code(ExecutionMode mode, OracleLayout layout, Action<Assembler> emit)
    {
        var assembler = new Assembler(mode == ExecutionMode.Long64 ? 64 : 32);
        emit(assembler);
        var writer = new ListWriter();
        assembler.Assemble(writer, layout.CodeAddress(mode));
        return [.. writer.Bytes];
    }
}
