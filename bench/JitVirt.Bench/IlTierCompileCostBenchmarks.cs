using BenchmarkDotNet.Attributes;
using JitVirt.Frontend;
using JitVirt.IlJit;
using JitVirt.TestGuests;

namespace JitVirt.Bench;

/// <summary>
/// What compiling one block costs (IL emission plus the .NET JIT, which BlockCompiler forces before
/// it returns), per guest instruction, for blocks of several lengths
/// (<see cref="IlTierGeneratedGuests.StraightBlock"/>; 64 is the decoder's block cap).
/// </summary>
public class IlTierCompileCostBenchmarks
{
    [Params(4, 16, 64)]
    public int BlockInstructions { get; set; }

    BareMetal _machine = null!;
    DecodedBlock _block = null!;

    [GlobalSetup]
    public void Setup()
    {
        _machine = new BareMetal(IlTierGeneratedGuests.StraightBlock(BlockInstructions));
        _machine.Cpu.Pending = 0;
        _block = _machine.Interpreter.FetchBlock() ?? throw new InvalidOperationException("fetch faulted");
        if (_block.Instructions.Length != BlockInstructions) throw new InvalidOperationException($"decoded {_block.Instructions.Length} instructions");
    }

    [Benchmark]
    public CompiledBlock Compile() => BlockCompiler.Compile(_block);

    [GlobalCleanup]
    public void Cleanup() => _machine.Dispose();
}
