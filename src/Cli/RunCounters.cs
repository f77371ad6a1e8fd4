using JitVirt.Cpu.Execution;
using JitVirt.IlJit;
using JitVirt.Machine.Pc;
using JitVirt.Mmu.Shadow;
using JitVirt.Mmu.Walker;
using JitVirt.Virtualization;

namespace JitVirt.Cli;

/// <summary>
/// Gathers the counters JitVirt really keeps for a run: retired instructions, the executor's block
/// figures (decoded, invalidated; compiled regions under the IL tier), the guest page walker's walks and
/// invalidations, instructions that raised #UD for lack of an implementation, and whatever the front end
/// reports (<see cref="IRunCounterSource"/>: shadow MMU, TLB-tag flushes). Nothing is made up: a figure
/// with no source is left out.
/// </summary>
public static class RunCounters
{
    /// <param name="tierInterpreter">The interpreter the executor runs blocks from (the IL tier's too), or null for the machine's own.</param>
    /// <param name="codeFrameWrites">Code-frame invalidations seen (Cpu.CodeFrameInvalidated: a write to a frame holding decoded code).</param>
    public static IReadOnlyList<RunCounter> Collect(PcMachine machine, RunResult result, IExecutor? executor, IFrontEnd? frontEnd,
        Interpreter? tierInterpreter = null, long codeFrameWrites = 0)
    {
        var list = new List<RunCounter> { new("guestInstructionsRetired", "guest instructions retired", result.InstructionsRetired) };
        switch (executor ?? (machine.Vcpu as InterpreterVcpu)?.Interpreter)
        {
            case TieredExecutor tiered:
                list.Add(new("regionsCompiled", "regions compiled (IL)", tiered.BlocksCompiled));
                list.Add(new("compiledRegionRuns", "compiled region runs", tiered.CompiledBlockRuns));
                list.Add(new("linksMade", "links made between compiled regions", tiered.LinksMade));
                list.Add(new("ilBytesEmitted", "IL bytes emitted", tiered.IlBytes, "bytes"));
                list.Add(new("compileTime", "compile time (IL + .NET JIT)", (long)tiered.CompileTime.TotalMicroseconds, "us"));
                list.Add(new("compileQueueDrops", "compile requests dropped (queue full)", tiered.CompileQueueDrops));
                list.Add(new("compilesDiscarded", "compiled regions discarded before install", tiered.CompilesDiscarded));
                list.Add(new("regionsEvicted", "compiled regions evicted (LRU)", tiered.BodiesEvicted));
                list.Add(new("framesDemoted", "code frames demoted to interpreter-only", tiered.DemotedFrames));
                if (tierInterpreter is not null)
                {
                    list.Add(new("blocksDecoded", "blocks decoded", tierInterpreter.Blocks.BlocksDecoded));
                    list.Add(new("blocksInvalidated", "blocks invalidated", tierInterpreter.Blocks.BlocksInvalidated));
                }
                break;
            case Interpreter interpreter:
                list.Add(new("blocksDecoded", "blocks decoded", interpreter.Blocks.BlocksDecoded));
                list.Add(new("blocksInvalidated", "blocks invalidated", interpreter.Blocks.BlocksInvalidated));
                break;
        }
        list.Add(new("codeFrameWrites", "writes that invalidated a code frame", codeFrameWrites));
        if (machine.Cpu.Translator is GuestPageWalker walker)
        {
            list.Add(new("guestPageWalks", "guest page walks", walker.Walks));
            list.Add(new("guestTlbInvalidations", "guest TLB invalidations", walker.Invalidations));
        }
        long unimplemented = machine.Cpu.UnimplementedInstructions.Values.Sum();
        list.Add(new("unimplementedInstructions", "unimplemented instructions (#UD)", unimplemented));
        if (frontEnd is IRunCounterSource source) list.AddRange(source.Counters());
        else if (machine.Cpu.Translator is ShadowMmu shadow) list.AddRange(ShadowMmuCounters.Of(shadow)); // front ends report it themselves
        return list;
    }
}
