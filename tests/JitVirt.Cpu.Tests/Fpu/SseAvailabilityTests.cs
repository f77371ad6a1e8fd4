using Iced.Intel;
using JitVirt.Cpu.Platform;
using JitVirt.Cpu.Tests.Support;
using JitVirt.NativeOracle;
using Xunit;
using Xunit.Abstractions;

namespace JitVirt.Cpu.Tests.Fpu;

/// <summary>
/// What user mode on the host cannot show: the control-register gates of every SSE/SSE2 and MMX
/// form of the oracle corpora, run on JitVirt with CR0.EM, CR0.TS, CR4.OSFXSR or CR4.OSXMMEXCPT
/// changed. Expected vectors from SDM vol.3A §2.5 (CR0.EM, TS; CR4.OSFXSR, OSXMMEXCPT), §13.1.4
/// Table 13-1 (SSE/SSE2: EM=1 or OSFXSR=0 → #UD, else TS=1 → #NM; an unmasked SIMD FP exception
/// with OSXMMEXCPT=0 → #UD instead of #XM) and vol.1 §9.6.2 (MMX: EM=1 → #UD, TS=1 → #NM,
/// OSFXSR irrelevant). Fences, CLFLUSH, PAUSE, PREFETCHh and MOVNTI are not gated (their vol.2
/// exception lists name none of these bits).
/// </summary>
public sealed class SseAvailabilityTests(ITestOutputHelper output)
{
    static readonly OracleLayout Layout = new(
        CodeAddress64: 0x5F00_0800, CodeAddress32: 0x5F00_0C00,
        ScratchAddress: 0x5F00_5000, ScratchSize: 0x1000,
        StackAddress: 0x5F00_3000, StackSize: 0x1000);

    enum Gate { Ungated, Sse, Mmx }

    static Gate GateOf(Code code)
    {
        var m = code.Mnemonic();
        if (m is Mnemonic.Lfence or Mnemonic.Mfence or Mnemonic.Sfence or Mnemonic.Clflush or Mnemonic.Pause or Mnemonic.Movnti
            or Mnemonic.Prefetchnta or Mnemonic.Prefetcht0 or Mnemonic.Prefetcht1 or Mnemonic.Prefetcht2) return Gate.Ungated;
        var op = code.ToOpCode();
        bool xmm = Enumerable.Range(0, op.OpCount).Any(k => op.GetOpKind(k) is OpCodeOperandKind.xmm_reg or OpCodeOperandKind.xmm_rm or OpCodeOperandKind.xmm_or_mem);
        // CVTPI2PS/CVTPI2PD xmm, mm/m64 and CVT(T)PS2PI/CVT(T)PD2PI mm, xmm/m: SSE/SSE2 instructions (gated by OSFXSR) with an MMX operand.
        if (xmm || m is Mnemonic.Ldmxcsr or Mnemonic.Stmxcsr or Mnemonic.Cvtpi2ps or Mnemonic.Cvtpi2pd) return Gate.Sse;
        return Gate.Mmx;
    }

    const int Ud = FaultVectors.InvalidOpcode, Nm = 7;

    [Fact]
    public void Cr0AndCr4GateEveryFormAsTheManualSays()
    {
        using var emu = new JitVirtInstructionExecutor(Layout);
        var forms = SseOracleCorpus.Forms().Concat(MmxOracleCorpus.Forms()).ToList();
        var failures = new List<string>();
        int cases = 0;
        var counts = new Dictionary<Gate, int>();
        foreach (var form in forms)
        {
            var gate = GateOf(form.Code);
            counts[gate] = counts.GetValueOrDefault(gate) + 1;
            var rng = new Random(SseOracleCorpus.Seed(form));
            for (int k = 0; k < 6; k++)
            {
                var c = SseOracleCorpus.Build(form, Layout, rng, allowLock: false);
                int plain = Run(emu, c, null);
                (string Name, Action<Cpu> Setup, int Expected)[] variants =
                {
                    ("EM", cpu => cpu.Cr0 |= State.Cr0.EM, gate == Gate.Ungated ? plain : Ud),
                    ("TS", cpu => cpu.Cr0 |= State.Cr0.TS, gate == Gate.Ungated ? plain : Nm),
                    ("EM+TS", cpu => cpu.Cr0 |= State.Cr0.EM | State.Cr0.TS, gate == Gate.Ungated ? plain : Ud),
                    ("!OSFXSR", cpu => cpu.Cr4 &= ~State.Cr4.OSFXSR, gate == Gate.Sse ? Ud : plain),
                    ("!OSXMMEXCPT", cpu => cpu.Cr4 &= ~State.Cr4.OSXMMEXCPT, plain == FaultVectors.SimdFloatingPoint ? Ud : plain),
                };
                foreach (var (name, setup, expected) in variants)
                {
                    cases++;
                    int actual = Run(emu, c, setup);
                    if (actual != expected && failures.Count < 40)
                        failures.Add($"{form} {name}: {c.Text}: expected {FaultVectors.Name(expected)} actual {FaultVectors.Name(actual)}");
                }
            }
        }
        output.WriteLine($"{forms.Count} forms (SSE-gated {counts.GetValueOrDefault(Gate.Sse)}, MMX-gated {counts.GetValueOrDefault(Gate.Mmx)}, ungated {counts.GetValueOrDefault(Gate.Ungated)}), {cases} gated runs");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    static int Run(JitVirtInstructionExecutor emu, SimdOracleCase c, Action<Cpu>? setup)
    {
        emu.Setup = setup;
        var s = c.Initial.Clone();
        emu.Execute(ExecutionMode.Long64, c.Code, s);
        emu.Setup = null;
        return s.FaultVector;
    }

    /// <summary>
    /// CPUID leaf 1 advertises exactly the SIMD generation the corpora cover (SDM vol.2A CPUID,
    /// Table 3-11 EDX: FPU bit 0, CLFSH 19, MMX 23, FXSR 24, SSE 25, SSE2 26; Table 3-10 ECX: SSE3 0,
    /// SSSE3 9, FMA 12, SSE4.1 19, SSE4.2 20, POPCNT 23, AES 25, XSAVE 26, OSXSAVE 27, AVX 28, F16C 29)
    /// and every form of the corpora needs only those features.
    /// </summary>
    [Fact]
    public void CpuidAdvertisesExactlyTheSimdFeaturesTheCorporaCover()
    {
        var leaf1 = new CpuidModel().Query(1, 0, in64BitMode: true);
        foreach (int bit in new[] { 0, 19, 23, 24, 25, 26 }) Assert.True((leaf1.Edx >> bit & 1) == 1, $"leaf 1 EDX bit {bit} clear");
        foreach (int bit in new[] { 0, 9, 12, 19, 20, 25, 26, 27, 28, 29 }) Assert.True((leaf1.Ecx >> bit & 1) == 0, $"leaf 1 ECX bit {bit} set");
        // Leaf 80000001H: no MMX extensions (EDX 22), 3DNow!/3DNow!Ext (EDX 31/30), SSE4A (ECX 6), XOP (ECX 11) (APM vol.3 §E.4.2).
        var ext = new CpuidModel().Query(0x8000_0001, 0, in64BitMode: true);
        foreach (int bit in new[] { 22, 30, 31 }) Assert.True((ext.Edx >> bit & 1) == 0, $"leaf 80000001H EDX bit {bit} set");
        foreach (int bit in new[] { 6, 11 }) Assert.True((ext.Ecx >> bit & 1) == 0, $"leaf 80000001H ECX bit {bit} set");

        var allowed = new HashSet<CpuidFeature> { CpuidFeature.MMX, CpuidFeature.SSE, CpuidFeature.SSE2, CpuidFeature.CLFSH, CpuidFeature.FXSR, CpuidFeature.PAUSE };
        foreach (var form in SseOracleCorpus.Forms().Concat(MmxOracleCorpus.Forms()))
            foreach (var f in form.Code.CpuidFeatures())
                Assert.True(allowed.Contains(f), $"{form} needs {f}");
    }
}
