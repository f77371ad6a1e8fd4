using Iced.Intel;
using JitVirt.Cpu.Tests.Support;
using JitVirt.NativeOracle;
using Xunit;
using Xunit.Abstractions;

namespace JitVirt.Cpu.Tests.Fpu;

/// <summary>
/// Every legacy SSE/SSE2 form without an MMX operand (<see cref="SseOracleCorpus"/>), run on the host
/// CPU and on JitVirt from the same random state. GPRs, RFLAGS, XMM0–15, MXCSR, scratch memory and
/// the fault (#XM with the MXCSR flags of an unmasked exception, #GP for misaligned operands, #UD for
/// LOCK) must match exactly. JITVIRT_SSE_CASES sets the cases per form (default 300).
/// </summary>
[Collection(NativeHostCpuCollection.Name)]
public sealed class SseOracleTests(ITestOutputHelper output)
{
    /// <summary>Kept for the tests that borrow the corpus's value generators.</summary>
    public static uint RandomSingle(Random rng) => SimdOracleValues.RandomSingle(rng);
    public static ulong RandomDouble(Random rng) => SimdOracleValues.RandomDouble(rng);

    [Fact]
    public void FormListCoversTheCoreSseAndSse2Instructions()
    {
        var forms = SseOracleCorpus.Forms();
        var names = forms.Select(f => f.Code.Mnemonic()).ToHashSet();
        // Each form counted under the newest extension it needs (SSE2 > SSE > MMX).
        var byFeature = forms.GroupBy(f => f.Code.CpuidFeatures().OrderByDescending(x => x).First());
        output.WriteLine($"{forms.Count} forms of {names.Count} mnemonics: " + string.Join(", ", byFeature.Select(g => $"{g.Key} {g.Count()}")));
        foreach (var m in new[]
        {
            Mnemonic.Addps, Mnemonic.Divsd, Mnemonic.Sqrtpd, Mnemonic.Cvttsd2si, Mnemonic.Pcmpeqb, Mnemonic.Pmovmskb, Mnemonic.Pxor,
            Mnemonic.Movdqa, Mnemonic.Movdqu, Mnemonic.Ucomisd, Mnemonic.Pshufd, Mnemonic.Psrldq, Mnemonic.Ldmxcsr, Mnemonic.Maskmovdqu,
            Mnemonic.Movntdq, Mnemonic.Movnti, Mnemonic.Lfence, Mnemonic.Mfence, Mnemonic.Sfence, Mnemonic.Clflush, Mnemonic.Pause,
        })
            Assert.Contains(m, names);
    }

    [Fact]
    public void SseAndSse2MatchTheHostBitForBit()
    {
        if (!NativeExecutor.IsSupported) return;
        using var native = new NativeExecutor();
        using var emu = new JitVirtInstructionExecutor(native.Layout);
        int perForm = int.TryParse(Environment.GetEnvironmentVariable("JITVIRT_SSE_CASES"), out int n) && n > 0 ? n : 300;
        var run = SimdOracleRun.Execute(SseOracleCorpus.Cases(native.Layout, perForm), native, emu);
        output.WriteLine(run.Summary);
        foreach (var kv in run.PerForm.OrderByDescending(kv => kv.Value)) output.WriteLine($"  {kv.Key}: {kv.Value}");
        Assert.True(run.Mismatches == 0, run.Report);
    }
}
