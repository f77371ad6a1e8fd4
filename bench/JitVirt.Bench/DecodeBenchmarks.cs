using BenchmarkDotNet.Attributes;
using JitVirt.Frontend;
using JitVirt.Machine.Guests;

namespace JitVirt.Bench;

/// <summary>
/// Decode throughput of the front end (<see cref="BlockDecoder"/>: Iced plus block formation) on real
/// guest code: the 64-bit parts of the four gate compute guests, cut into basic blocks one after the
/// other as the interpreter would discover them. The time per operation is the time per decoded
/// instruction, so instructions per second = 1e9 / (ns per op).
/// </summary>
[MemoryDiagnoser]
public class DecodeBenchmarks
{
    const int PageSize = 4096;

    readonly BlockDecoder _decoder = new();
    byte[][] _pages = null!;
    int[] _lengths = null!;

    /// <summary>Instructions decoded by one <see cref="DecodeComputeGuests"/> call (the OperationsPerInvoke of the benchmark).</summary>
    public const int Instructions = 4 * 1024;

    [GlobalSetup]
    public void Setup()
    {
        int codeOffset = (int)(LongModeGuestImage.LongModeCode - LongModeGuestImage.Origin);
        _pages = [.. LongModeComputeGuests.All.Select(g =>
        {
            var page = new byte[PageSize];
            byte[] image = g.BuildImage();
            image.AsSpan(codeOffset).CopyTo(page);
            return page;
        })];
        _lengths = [.. LongModeComputeGuests.All.Select(g => g.BuildImage().Length - codeOffset)];
        if (DecodeComputeGuests() != Instructions) throw new InvalidOperationException("decode count changed");
    }

    /// <summary>Decodes every guest's code block by block, round-robin, until <see cref="Instructions"/> instructions are decoded.</summary>
    [Benchmark(OperationsPerInvoke = Instructions)]
    public int DecodeComputeGuests()
    {
        int decoded = 0;
        while (true)
        {
            for (int g = 0; g < _pages.Length; g++)
            {
                int offset = 0;
                while (offset < _lengths[g])
                {
                    ulong address = LongModeGuestImage.LongModeCode + (ulong)offset;
                    var block = _decoder.Decode(_pages[g].AsSpan(offset), static () => null, address, CodeMode.Bits64, address);
                    int n = Math.Min(block.Instructions.Length, Instructions - decoded);
                    decoded += n;
                    if (decoded == Instructions) return decoded;
                    foreach (var insn in block.Instructions) offset += insn.Length;
                }
            }
        }
    }
}
