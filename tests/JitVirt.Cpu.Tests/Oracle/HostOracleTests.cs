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
