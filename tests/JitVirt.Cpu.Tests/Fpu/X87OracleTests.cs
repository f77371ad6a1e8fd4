using System.Text;
using Iced.Intel;
using JitVirt.Cpu.Fpu;
using JitVirt.Cpu.Tests.Support;
using JitVirt.NativeOracle;
using Xunit;
using Xunit.Abstractions;

namespace JitVirt.Cpu.Tests.Fpu;

/// <summary>
/// Every x87 form that runs in 64-bit user mode (<see cref="X87OracleCorpus.Forms"/>) against the
/// host CPU, from random operands of every class and random control words: results, status word,
/// tag word, memory outputs, GPRs, RFLAGS and faults must match exactly. JITVIRT_X87_CASES sets the
/// cases per form, JITVIRT_ORACLE_SEED the seed (the default seed is fixed so a failure reproduces).
/// </summary>
[Collection(NativeHostCpuCollection.Name)]
public sealed class X87OracleTests(ITestOutputHelper output)
{
    static int Seed => int.TryParse(System.Environment.GetEnvironmentVariable("JITVIRT_ORACLE_SEED"), out int s) ? s : 0x87;

    [Fact]
    public void Corpus_covers_the_x87_instruction_set()
    {
        var forms = X87OracleCorpus.Forms;
        output.WriteLine($"{forms.Count} forms: {string.Join(' ', forms)}");
        // Spot checks of families the issue names, in all their encodings.
        foreach (var code in new[] { Code.Fadd_m32fp, Code.Fiadd_m16int, Code.Fcomip_st0_sti, Code.Fbstp_m80bcd, Code.Fnstenv_m14byte,
                     Code.Fnsave_m108byte, Code.Frstor_m94byte, Code.Fcmovnbe_st0_sti, Code.Fsincos, Code.Fyl2xp1, Code.Wait, Code.Fnstsw_AX })
            Assert.Contains(code, forms);
        Assert.DoesNotContain(Code.Fisttp_m64int, forms);
        Assert.True(forms.Count >= 150, $"only {forms.Count} forms");
    }

    [Fact]
    public void Every_x87_form_matches_the_host() =>
        Run(c => !X87OracleCorpus.Transcendental.Contains(c.Mnemonic()), 100, ulps: 0);

    /// <summary>
    /// FSIN, FCOS, FSINCOS, FPTAN, FPATAN, F2XM1, FYL2X, FYL2XP1 on the host's x87 (HostX87): every
    /// result, C1, flag, tag and register must match bit for bit, the undefined results of F2XM1 and
    /// FYL2XP1 outside their domains included. On this x86-64 Linux host the host path must be
    /// available, so the test cannot pass by silently falling back to the software path.
    /// </summary>
    [Fact]
    public void Transcendentals_on_the_host_x87_match_the_host_bit_for_bit()
    {
        if (!NativeExecutor.IsSupported) return;
        Assert.True(HostX87.IsSupported, "x86-64 Linux host without the host x87 thunks");
        bool before = X87Transcendentals.UseHost;
        try
        {
            X87Transcendentals.UseHost = true;
            Assert.True(X87Transcendentals.UseHost);
            Run(c => X87OracleCorpus.Transcendental.Contains(c.Mnemonic()), 200, ulps: 0, undefinedToo: true);
        }
        finally { X87Transcendentals.UseHost = before; }
    }

    /// <summary>
    /// The portable path (ExtendedTranscendentals, forced with X87Transcendentals.UseHost = false as
    /// JITVIRT_X87_SOFTWARE=1 does): everything (flags, TOP, tags, special operands, out-of-range C2)
    /// must match exactly; a finite result may differ from the host's by at most one ulp (and C1
    /// with it). The exact-match rate is reported per family.
    /// </summary>
    [Fact]
    public void Software_transcendentals_are_within_one_ulp_of_the_host()
    {
        bool before = X87Transcendentals.UseHost;
        try
        {
            X87Transcendentals.UseHost = false;
            Run(c => X87OracleCorpus.Transcendental.Contains(c.Mnemonic()), 200, ulps: 1);
        }
        finally { X87Transcendentals.UseHost = before; }
    }

    void Run(Func<Code, bool> filter, int fallbackCases, int ulps, bool undefinedToo = false)
    {
        if (!NativeExecutor.IsSupported) return;
        using var native = new NativeExecutor();
        using var emu = new JitVirtInstructionExecutor(native.Layout);
        int perForm = X87OracleCorpus.CasesPerForm(fallbackCases);
        var perFamily = new SortedDictionary<string, (int Cases, int Mismatches)>();
        var failures = new StringBuilder();
        int total = 0, mismatches = 0, faults = 0, inexact = 0;
        foreach (var c in X87OracleCorpus.Generate(native.Layout, perForm, Seed, filter))
        {
            var expected = c.Initial.Clone();
            native.Execute(ExecutionMode.Long64, c.Code, expected);
            var actual = c.Initial.Clone();
            emu.Execute(ExecutionMode.Long64, c.Code, actual);
            total++;
            if (expected.Faulted) faults++;
            string? diff = X87OracleCorpus.Diff(c, expected, actual, ulps, undefinedToo);
            bool exact = ulps == 0 ? diff is null : X87OracleCorpus.Diff(c, expected, actual) is null;
            if (!exact) inexact++;
            perFamily.TryGetValue(c.Family, out var f);
            perFamily[c.Family] = (f.Cases + 1, f.Mismatches + (exact ? 0 : 1));
            if (diff is null) continue;
            if (mismatches++ < 40 && failures.Length < 60000) failures.Append(X87OracleCorpus.Describe(c)).Append('\n').Append(diff);
        }
        output.WriteLine($"{total} cases ({faults} faulting), {mismatches} mismatches beyond {ulps} ulp, {inexact} not bit-exact, seed {Seed}, "
            + $"transcendentals on the {(X87Transcendentals.UseHost ? "host x87" : "software path")}");
        foreach (var (family, (cases, bad)) in perFamily)
            if (bad > 0) output.WriteLine($"  {family}: {bad}/{cases} not bit-exact ({100.0 * bad / cases:F1}%)");
        Assert.True(mismatches == 0, $"{mismatches} of {total} mismatched:\n{failures}");
        // The transcendental approximation of the host is not correctly rounded: with the exact
        // function rounded once, ~3% of its results differ in the last bit (or only in C1) — see
        // decision 0014. 10% bounds that residue with room for other seeds; more means a regression.
        if (ulps > 0) Assert.True(inexact * 10 <= total, $"{inexact} of {total} results not bit-exact");
    }
}
