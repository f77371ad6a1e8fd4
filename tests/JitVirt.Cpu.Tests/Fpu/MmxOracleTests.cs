using Iced.Intel;
using JitVirt.Cpu.Tests.Support;
using JitVirt.NativeOracle;
using Xunit;
using Xunit.Abstractions;

namespace JitVirt.Cpu.Tests.Fpu;

/// <summary>
/// Every form with an MMX operand (<see cref="MmxOracleCorpus"/>), run on the host CPU and on JitVirt
/// through memory: random MM0–7 loaded, the instruction, MM0–7 and the x87 environment (TOP, tags)
/// stored. Everything the SSE oracle compares plus those stores must match. JITVIRT_MMX_CASES sets
/// the cases per form (default 400).
/// </summary>
[Collection(NativeHostCpuCollection.Name)]
public sealed class MmxOracleTests(ITestOutputHelper output)
{
    [Fact]
    public void FormListCoversEveryMmxAndSseEraMmxInstruction()
    {
        var forms = MmxOracleCorpus.Forms();
        var names = forms.Select(f => f.Code.Mnemonic()).ToHashSet();
        // Each form counted under the newest extension it needs (SSE2 > SSE > MMX).
        var byFeature = forms.GroupBy(f => f.Code.CpuidFeatures().OrderByDescending(x => x).First());
        output.WriteLine($"{forms.Count} forms of {names.Count} mnemonics: " + string.Join(", ", byFeature.Select(g => $"{g.Key} {g.Count()}")));
        foreach (var m in new[]
        {
            Mnemonic.Paddb, Mnemonic.Psubusw, Mnemonic.Pmaddwd, Mnemonic.Pcmpgtd, Mnemonic.Packuswb, Mnemonic.Punpckhdq, Mnemonic.Pandn,
            Mnemonic.Psraw, Mnemonic.Psllq, Mnemonic.Movd, Mnemonic.Movq, Mnemonic.Emms,
            Mnemonic.Pshufw, Mnemonic.Pavgb, Mnemonic.Pavgw, Mnemonic.Pminub, Mnemonic.Pmaxsw, Mnemonic.Pmovmskb, Mnemonic.Pextrw,
            Mnemonic.Pinsrw, Mnemonic.Psadbw, Mnemonic.Pmulhuw, Mnemonic.Maskmovq, Mnemonic.Movntq,
            Mnemonic.Cvtpi2ps, Mnemonic.Cvtps2pi, Mnemonic.Cvttps2pi, Mnemonic.Cvtpi2pd, Mnemonic.Cvtpd2pi, Mnemonic.Cvttpd2pi,
            Mnemonic.Movq2dq, Mnemonic.Movdq2q, Mnemonic.Paddq, Mnemonic.Psubq, Mnemonic.Pmuludq,
        })
            Assert.Contains(m, names);
    }

    [Fact]
    public void MmxFormsMatchTheHostBitForBit()
    {
        if (!NativeExecutor.IsSupported) return;
        using var native = new NativeExecutor();
        using var emu = new JitVirtInstructionExecutor(native.Layout);
        int perForm = int.TryParse(Environment.GetEnvironmentVariable("JITVIRT_MMX_CASES"), out int n) && n > 0 ? n : 400;
        var run = SimdOracleRun.Execute(MmxOracleCorpus.Cases(native.Layout, perForm), native, emu, MmxOracleCorpus.IgnoreFrom, MmxOracleCorpus.IgnoreTo);
        output.WriteLine(run.Summary);
        foreach (var kv in run.PerForm.OrderByDescending(kv => kv.Value)) output.WriteLine($"  {kv.Key}: {kv.Value}");
        Assert.True(run.Mismatches == 0, run.Report);
    }
}
