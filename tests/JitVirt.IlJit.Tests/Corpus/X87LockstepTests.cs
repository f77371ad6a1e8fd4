using JitVirt.Cpu.Tests.Fpu;
using JitVirt.NativeOracle;
using Xunit;
using Xunit.Abstractions;

namespace JitVirt.IlJit.Tests.Corpus;

/// <summary>
/// The x87 host-oracle corpus (<see cref="X87OracleCorpus"/>: every x87 form that runs in 64-bit
/// user mode, random operands of every class, random precision/rounding control and exception
/// masks, the final FNSAVE image in scratch) run by the interpreter and by compiled blocks at
/// threshold 0. The whole outcome — GPRs, RFLAGS, XMM, MXCSR, every scratch byte (memory results,
/// the FNSAVE image with FCW, FSW, tags and all eight registers, stale ones included), the stack
/// block, RIP and any fault — must be identical. JITVIRT_X87_CASES sets the cases per form
/// (default 24), JITVIRT_ORACLE_SEED the seed.
/// </summary>
public sealed class X87LockstepTests(ITestOutputHelper output)
{
    static int Seed => int.TryParse(Environment.GetEnvironmentVariable("JITVIRT_ORACLE_SEED"), out int s) ? s : 0x87;

    [Fact]
    public void Every_x87_form_compiles_to_what_the_interpreter_does()
    {
        var layout = OracleSlotExecutor.DefaultLayout;
        using var reference = new OracleSlotExecutor(layout, compiled: false);
        using var compiled = new OracleSlotExecutor(layout, compiled: true);
        int perForm = X87OracleCorpus.CasesPerForm(24);
        long cases = 0, mismatches = 0, faults = 0;
        var failingForms = new SortedSet<string>();
        string? first = null;
        foreach (var c in X87OracleCorpus.Generate(layout, perForm, Seed))
        {
            var expected = c.Initial.Clone();
            reference.Execute(ExecutionMode.Long64, c.Code, expected);
            var actual = c.Initial.Clone();
            compiled.Execute(ExecutionMode.Long64, c.Code, actual);
            cases++;
            if (expected.Faulted) faults++;
            string diff = OracleStateDiff.Describe(expected, actual);
            if (reference.Cpu.Rip != compiled.Cpu.Rip) diff += $" RIP {reference.Cpu.Rip:X} vs {compiled.Cpu.Rip:X};";
            if (diff.Length == 0) continue;
            mismatches++;
            failingForms.Add(c.Form.ToString());
            first ??= $"{X87OracleCorpus.Describe(c)}: {diff}";
        }
        output.WriteLine($"{X87OracleCorpus.Forms.Count} forms × {perForm} = {cases:N0} cases ({faults:N0} faulting), seed {Seed}, "
            + $"{compiled.Tiered!.BlocksCompiled:N0} blocks compiled, {mismatches} mismatches in {failingForms.Count} forms: {string.Join(' ', failingForms)}");
        Assert.True(compiled.Tiered.BlocksCompiled >= X87OracleCorpus.Forms.Count, "every form ran compiled");
        Assert.True(mismatches == 0, $"{mismatches} mismatches (seed {Seed}); first: {first}");
    }
}
