using Iced.Intel;
using JitVirt.Cpu.Tests.Support;
using JitVirt.NativeOracle;
using Xunit;
using Xunit.Abstractions;

namespace JitVirt.Cpu.Tests.Oracle;

/// <summary>
/// The host CPU as oracle: every form of the catalogue (ALU, shifts, rotates, multiply, divide, bit,
/// string, conversion, CMPXCHG, ... at every operand size, register and memory operands) with
/// random states, run natively and on JitVirt; all GPRs, memory and the defined flags must match.
/// JITVIRT_ORACLE_COUNT sets the states per form (default 500), JITVIRT_ORACLE_SEED the seed.
/// </summary>
[Collection(NativeHostCpuCollection.Name)]
public class HostOracleTests(ITestOutputHelper output)
{
    static int StatesPerForm => int.TryParse(Environment.GetEnvironmentVariable("JITVIRT_ORACLE_COUNT"), out int n) && n > 0 ? n : 500;
    static int Seed => int.TryParse(Environment.GetEnvironmentVariable("JITVIRT_ORACLE_SEED"), out int s) ? s : Environment.TickCount;

    [Fact]
    public void Long64FormsMatchTheHostCpu()
    {
        Assert.True(NativeExecutor.IsSupported, "the host must be x86-64 Linux to run the native oracle");
        Run(ExecutionMode.Long64, minimumForms: 400);
    }

    /// <summary>
    /// Compatibility mode cannot run natively on these hosts (their hypervisor hides 32-bit code
    /// segments: <see cref="NativeExecutor.SupportsCompat32"/>). Each Compat32 case whose form also
    /// exists in 64-bit mode (the same Iced <c>Code</c>: 32-bit operands, 32-bit addressing through
    /// 67h) runs natively re-encoded for 64-bit mode, while JitVirt runs the original bytes in
    /// compatibility mode; both must agree. Forms with no 64-bit counterpart (BCD adjusts, PUSHA/POPA,
    /// INC/DEC 40h-4Fh, BOUND, INTO, 16-bit addressing) are counted and left to the 80C286 data and
    /// the worked examples.
    /// </summary>
    [Fact]
    public void Compat32FormsMatchTheHostCpuThroughTheir64BitEncoding()
    {
        Assert.True(NativeExecutor.IsSupported, "the host must be x86-64 Linux to run the native oracle");
        using var native = new NativeExecutor();
        using var emulated = new JitVirtInstructionExecutor(native.Layout);
        var catalog = new FormCatalog(native.Layout);
        var comparer = new OracleComparer();
        int seed = Seed;
        var writer = new CodeBytes();
        var encoder = Iced.Intel.Encoder.Create(64, writer);
        var covered = new HashSet<string>();
        var uncovered = new HashSet<string>();
        long cases = 0, mismatches = 0;
        string? first = null;
        foreach (var c in catalog.Generate(ExecutionMode.Compat32, StatesPerForm, seed))
        {
            var insn = c.Instruction;
            writer.Bytes.Clear();
            if (!insn.Code.ToOpCode().Mode64 || !encoder.TryEncode(insn, native.Layout.CodeAddress64, out _, out _))
            {
                uncovered.Add(c.FormName);
                continue;
            }
            covered.Add(c.FormName);
            var expected = c.Initial.Clone();
            for (int r = 0; r < 8; r++) expected.Gpr[r] &= 0xFFFF_FFFF;
            native.Execute(ExecutionMode.Long64, writer.Bytes.ToArray(), expected);
            var actual = c.Initial.Clone();
            emulated.Execute(ExecutionMode.Compat32, c.Code, actual);
            cases++;
            if (comparer.Compare(c, expected, actual) is { } m)
            {
                mismatches++;
                first ??= m.Report;
            }
        }
        output.WriteLine($"Compat32 via 64-bit encodings: {covered.Count} forms × {StatesPerForm} states = {cases:N0} cases, seed {seed}, {mismatches} mismatches; {uncovered.Count} forms without a 64-bit encoding: {string.Join(' ', uncovered.Order())}");
        Assert.True(covered.Count >= 400, $"only {covered.Count} compatibility-mode forms covered");
        Assert.True(mismatches == 0, $"{mismatches} mismatches (seed {seed}); first:\n{first}");
    }

    sealed class CodeBytes : Iced.Intel.CodeWriter
    {
        public readonly List<byte> Bytes = new();
        public override void WriteByte(byte value) => Bytes.Add(value);
    }

    void Run(ExecutionMode mode, int minimumForms)
    {
        using var native = new NativeExecutor();
        using var emulated = new JitVirtInstructionExecutor(native.Layout);
        var catalog = new FormCatalog(native.Layout);
        int forms = FormCatalog.Forms(mode).Count;
        Assert.True(forms >= minimumForms, $"only {forms} forms in the {mode} catalogue");
        int seed = Seed;
        var result = new OracleRunner(native, emulated).Run(catalog, mode, StatesPerForm, seed);
        output.WriteLine($"{mode}: {forms} forms × {StatesPerForm} states = {result.Cases:N0} cases, seed {seed}, {result.MismatchCount} mismatches, {result.CasesPerSecond:N0} cases/s");
        foreach (var m in result.Mismatches) output.WriteLine(m.Report);
        Assert.True(result.MismatchCount == 0, $"{result.MismatchCount} mismatches (seed {seed}); first:\n{(result.Mismatches.Count > 0 ? result.Mismatches[0].Report : "")}");
    }
}
