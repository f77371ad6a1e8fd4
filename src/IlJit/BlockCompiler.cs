using System.Reflection.Emit;
using Iced.Intel;
using JitVirt.Frontend;

namespace JitVirt.IlJit;

/// <summary>
/// Compiles one <see cref="DecodedBlock"/>: a <see cref="Region"/> of that block alone (see
/// <see cref="RegionCompiler"/> for what the body does).
/// </summary>
public static class BlockCompiler
{
    /// <summary>Compiles <paramref name="block"/> on its own (no chaining state shared with anything).</summary>
    public static CompiledBlock Compile(DecodedBlock block) => Compile(block, new ChainState());

    /// <summary>Compiles <paramref name="block"/> as a one-block region.</summary>
    public static CompiledBlock Compile(DecodedBlock block, ChainState state) => RegionCompiler.Compile(Region.Single(block), state);
}
