using BenchmarkDotNet.Attributes;
using Iced.Intel;
using JitVirt.Frontend;
using JitVirt.IlJit;
using JitVirt.TestGuests;
using static Iced.Intel.AssemblerRegisters;

namespace JitVirt.Bench;

/// <summary>
/// What compiling a region costs against compiling its blocks one by one (IL emission plus the
/// .NET JIT), for regions of <see cref="Instructions"/> guest instructions: a chain of 8-instruction
/// blocks on one page (inline ALU, a helper IMUL and store, JMP to the next). Divide by
/// <see cref="Instructions"/> for the cost per guest instruction.
/// </summary>
public class IlTierRegionCompileCostBenchmarks
{
    const int BlockInstructions = 8;

    [Params(16, 64, 128, 256)]
    public int Instructions { get; set; }

    BareMetal _machine = null!;
    Region _region = null!;

    [GlobalSetup]
    public void Setup()
    {
        int blocks = Instructions / BlockInstructions;
        _machine = new BareMetal(a =>
        {
            a.mov(rdi, (long)BareMetal.DataAddress);
            var end = a.CreateLabel();
            // The first block is the setup MOV plus seven: every block holds 8 instructions.
            for (int b = 0; b < blocks; b++)
            {
                bool last = b == blocks - 1;
                var next = last ? end : a.CreateLabel();
                if (b > 0) a.add(eax, ebx);
                a.add(ebx, 3);
                a.imul(ecx, ecx, 5);
                a.xor(edx, eax);
                a.mov(__dword_ptr[rdi + 8 * b], edx);
                a.lea(rsi, __[rsi + rax * 2]);
                a.sub(ebx, ecx);
                a.jmp(next);
                if (!last) a.Label(ref next);
            }
            a.Label(ref end);
            a.hlt();
        });
        var cpu = _machine.Cpu;
        cpu.Pending = 0;
        var head = _machine.Interpreter.FetchBlock() ?? throw new InvalidOperationException("fetch faulted");
        ulong delta = cpu.Rip - head.DecodeRip;
        _region = Region.Form(head, Instructions, (ip, physical) => _machine.Interpreter.PeekBlockOnPage(ip + delta, physical));
        if (_region.Instructions != Instructions) throw new InvalidOperationException($"region of {_region.Instructions} instructions");
    }

    [Benchmark(Baseline = true)]
    public int CompileBlocks()
    {
        int ilBytes = 0;
        foreach (var block in _region.Blocks) ilBytes += BlockCompiler.Compile(block).IlBytes;
        return ilBytes;
    }

    [Benchmark]
    public CompiledBlock CompileRegion() => RegionCompiler.Compile(_region, new ChainState());

    [GlobalCleanup]
    public void Cleanup() => _machine.Dispose();
}
