using JitVirt.NativeOracle;
using Xunit;
using Xunit.Abstractions;

namespace JitVirt.IlJit.Tests.Corpus;

/// <summary>
/// Acceptance 1 over the host-oracle catalogue: every form of the catalogue (ALU, shifts, rotates,
/// multiply, divide, bit, string, conversion, CMPXCHG, SSE moves, ... at every operand size, register
/// and memory operands) with random states, run by the interpreter and by compiled blocks at
/// threshold 0; the full outcome — all GPRs, all RFLAGS bits, XMM, MXCSR, scratch and stack memory,
/// RIP, and any fault with its error code and CR2 — must be identical. Each case is one compiled
/// region (the case's code plus the slot's closing jump), so the comparison is at its exit.
/// JITVIRT_LOCKSTEP_COUNT sets the states per form (default 40), JITVIRT_ORACLE_SEED the seed.
/// </summary>
public sealed class CatalogueLockstepTests(ITestOutputHelper output)
{
    static int StatesPerForm => int.TryParse(Environment.GetEnvironmentVariable("JITVIRT_LOCKSTEP_COUNT"), out int n) && n > 0 ? n : 40;
    static int Seed => int.TryParse(Environment.GetEnvironmentVariable("JITVIRT_ORACLE_SEED"), out int s) ? s : Environment.TickCount;

    [Theory]
    [InlineData(ExecutionMode.Long64, 400)]
    [InlineData(ExecutionMode.Compat32, 400)]
    public void Every_catalogue_form_compiles_to_what_the_interpreter_does(ExecutionMode mode, int minimumForms)
    {
        var layout = OracleSlotExecutor.DefaultLayout;
        using var reference = new OracleSlotExecutor(layout, compiled: false);
        using var compiled = new OracleSlotExecutor(layout, compiled: true);
        var catalog = new FormCatalog(layout);
        int forms = FormCatalog.Forms(mode).Count;
        int seed = Seed;
        long cases = 0, mismatches = 0, faults = 0;
        var failingForms = new SortedSet<string>();
        string? first = null;
        foreach (var c in catalog.Generate(mode, StatesPerForm, seed))
        {
            var expected = c.Initial.Clone();
            reference.Execute(mode, c.Code, expected);
            var actual = c.Initial.Clone();
            compiled.Execute(mode, c.Code, actual);
            cases++;
            if (expected.Faulted) faults++;
            string diff = OracleStateDiff.Describe(expected, actual);
            if (reference.Cpu.Rip != compiled.Cpu.Rip) diff += $" RIP {reference.Cpu.Rip:X} vs {compiled.Cpu.Rip:X};";
            if (diff.Length == 0) continue;
            mismatches++;
            failingForms.Add(c.FormName);
            first ??= $"{c.FormName} case seed {c.CaseSeed}: {c.Instruction}: {diff}";
        }
        output.WriteLine($"{mode}: {forms} forms × {StatesPerForm} states = {cases:N0} cases ({faults:N0} faulting), seed {seed}, "
            + $"{compiled.Tiered!.BlocksCompiled:N0} blocks compiled, {mismatches} mismatches in {failingForms.Count} forms: {string.Join(' ', failingForms)}");
        Assert.True(forms >= minimumForms, $"only {forms} forms in the {mode} catalogue");
        Assert.True(compiled.Tiered.BlocksCompiled >= forms, "every form ran compiled");
        Assert.True(mismatches == 0, $"{mismatches} mismatches (seed {seed}); first: {first}");
    }
}
