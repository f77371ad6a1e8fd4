using System.Text;
using JitVirt.NativeOracle;

namespace JitVirt.Cpu.Tests.Fpu;

/// <summary>Runs a SIMD corpus on two executors and tallies the mismatches per form.</summary>
public sealed class SimdOracleRun
{
    public int Forms { get; private set; }
    public int Cases { get; private set; }
    public int Faults { get; private set; }
    public int Mismatches { get; private set; }
    public Dictionary<string, int> PerForm { get; } = new();
    public SortedDictionary<int, int> FaultsByVector { get; } = new();
    public StringBuilder Failures { get; } = new();

    /// <summary>
    /// Runs every case on <paramref name="expected"/> and <paramref name="actual"/> from the same
    /// initial state and compares them (<see cref="SimdOracleDiff"/>); the first two failures of each
    /// form are kept with their initial operands.
    /// </summary>
    public static SimdOracleRun Execute(IEnumerable<SimdOracleCase> cases, IInstructionExecutor expected, IInstructionExecutor actual,
        int ignoreFrom = 0, int ignoreTo = 0)
    {
        var run = new SimdOracleRun();
        SimdOracleForm? last = null;
        foreach (var c in cases)
        {
            if (!Equals(c.Form, last)) { run.Forms++; last = c.Form; }
            var e = c.Initial.Clone();
            expected.Execute(ExecutionMode.Long64, c.Code, e);
            var a = c.Initial.Clone();
            actual.Execute(ExecutionMode.Long64, c.Code, a);
            run.Cases++;
            if (e.Faulted) { run.Faults++; run.FaultsByVector[e.FaultVector] = run.FaultsByVector.GetValueOrDefault(e.FaultVector) + 1; }
            string? diff = SimdOracleDiff.Compare(e, a, ignoreFrom, ignoreTo);
            if (diff is null) continue;
            run.Mismatches++;
            string name = c.Form.ToString();
            int n = run.PerForm[name] = run.PerForm.GetValueOrDefault(name) + 1;
            if (n <= 2 && run.Failures.Length < 60000)
                run.Failures.Append($"{name}: {c.Text}\n  initial: mxcsr={c.Initial.Mxcsr:X4} {Operands(c.Initial)}\n{diff}\n");
        }
        return run;
    }

    public string Summary => $"{Forms} forms, {Cases} cases, {Faults} faulted on the reference ("
        + string.Join(", ", FaultsByVector.Select(kv => $"{FaultVectors.Name(kv.Key)} {kv.Value}")) + $"), {Mismatches} mismatches";

    public string Report => $"{Mismatches} mismatches of {Cases}:\n"
        + string.Join("\n", PerForm.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key}: {kv.Value}")) + "\n" + Failures;

    static string Operands(OracleState s)
    {
        var sb = new StringBuilder();
        for (int k = 0; k < 3; k++) sb.Append($"xmm{k}={s.Xmm[k]} ");
        sb.Append($"rax={s.Gpr[0]:X} mem={Convert.ToHexString(s.Scratch, 0, 16)}");
        if (s.Scratch.Length >= MmxOracleCorpus.Out) sb.Append($" mmIn={Convert.ToHexString(s.Scratch, MmxOracleCorpus.In, 24)}..");
        return sb.ToString();
    }
}
