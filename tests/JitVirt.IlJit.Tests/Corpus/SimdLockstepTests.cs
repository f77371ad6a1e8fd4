using JitVirt.Cpu.Tests.Fpu;
using JitVirt.NativeOracle;
using Xunit;
using Xunit.Abstractions;

namespace JitVirt.IlJit.Tests.Corpus;

/// <summary>
/// The SSE/SSE2 and MMX host-oracle corpora (the CPU tests' <see cref="SseOracleCorpus"/> and
/// <see cref="MmxOracleCorpus"/>, linked here) run by the interpreter and by compiled blocks at
/// threshold 0 from the same states: GPRs, status flags, XMM0–15, MXCSR, scratch memory (for the
/// MMX corpus: MM0–7, FCW/FSW/FTW as stored by the case) and the fault must be identical.
/// JITVIRT_SIMD_LOCKSTEP_COUNT sets the cases per form (default 30 for SSE, 20 for MMX: every case
/// compiles a fresh block, which dominates the run time).
/// </summary>
public sealed class SimdLockstepTests(ITestOutputHelper output)
{
    static int PerForm(int fallback) => int.TryParse(Environment.GetEnvironmentVariable("JITVIRT_SIMD_LOCKSTEP_COUNT"), out int n) && n > 0 ? n : fallback;

    [Fact]
    public void Sse_corpus_compiles_to_what_the_interpreter_does()
    {
        var layout = OracleSlotExecutor.DefaultLayout;
        using var reference = new SlotExecutor(layout, compiled: false);
        using var compiled = new SlotExecutor(layout, compiled: true);
        var run = SimdOracleRun.Execute(SseOracleCorpus.Cases(layout, PerForm(30)), reference, compiled);
        output.WriteLine($"SSE: {run.Summary}; {compiled.Inner.Tiered!.BlocksCompiled:N0} blocks compiled");
        Assert.True(compiled.Inner.Tiered.BlocksCompiled >= run.Forms, "every form ran compiled");
        Assert.True(run.Mismatches == 0, run.Report);
    }

    [Fact]
    public void Mmx_corpus_compiles_to_what_the_interpreter_does()
    {
        var layout = OracleSlotExecutor.DefaultLayout;
        using var reference = new SlotExecutor(layout, compiled: false);
        using var compiled = new SlotExecutor(layout, compiled: true);
        // Both sides are JitVirt: the FNSTENV pointers are deterministic here, so nothing is skipped.
        var run = SimdOracleRun.Execute(MmxOracleCorpus.Cases(layout, PerForm(20)), reference, compiled);
        output.WriteLine($"MMX: {run.Summary}; {compiled.Inner.Tiered!.BlocksCompiled:N0} blocks compiled");
        Assert.True(compiled.Inner.Tiered.BlocksCompiled >= run.Forms, "every form ran compiled");
        Assert.True(run.Mismatches == 0, run.Report);
    }

    /// <summary><see cref="OracleSlotExecutor"/> as an <see cref="IInstructionExecutor"/> for the shared runner.</summary>
    sealed class SlotExecutor(OracleLayout layout, bool compiled) : IInstructionExecutor, IDisposable
    {
        public OracleSlotExecutor Inner { get; } = new(layout, compiled);
        public OracleLayout Layout => Inner.Layout;
        public void Execute(ExecutionMode mode, byte[] code, OracleState state) => Inner.Execute(mode, code, state);
        public void Dispose() => Inner.Dispose();
    }
}
