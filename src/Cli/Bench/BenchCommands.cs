using System.CommandLine;
using JitVirt.Cli.Gate;

namespace JitVirt.Cli.Bench;

/// <summary>
/// <c>jitvirt bench</c>: <c>gate</c> (deterministic counters of a fixed guest set against a committed
/// baseline) and <c>compare</c> (wall time of two BenchmarkDotNet full JSON exports). Reports go to
/// stdout, failures and notes to stderr; a regression exits with <see cref="BenchExitCodes.Regression"/>.
/// </summary>
public static class BenchCommands
{
    public static Command Create(Stream stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var bench = new Command("bench", "Performance: the deterministic regression gate and wall-time comparison of BenchmarkDotNet exports");
        bench.Subcommands.Add(Gate(stdout, stderr, cancellationToken));
        bench.Subcommands.Add(Compare(stdout, stderr));
        return bench;
    }

    static Command Gate(Stream stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var baseline = new Option<string>("--baseline") { HelpName = "FILE", Description = "Baseline JSON (bench/baselines/gate.json)", Required = true };
        var update = new Option<bool>("--update") { Description = "Rewrite the baseline with this run's figures instead of comparing" };
        var linux = new Option<bool>("--linux") { Description = $"Also boot Linux ({GateGuestSet.LinuxGuestVariable} or ~/.cache/jitvirt/linux-guest-amd64; billions of instructions)" };
        var only = new Option<string[]>("--guest") { HelpName = "NAME", Description = "Run only this guest (repeatable): demo, integer, memcopy, branchy, exits, linux" };
        var gate = new Command("gate", "Run the gate guests in --deterministic mode under svm and vmx with the IL tier and compare their counters with the baseline: " +
            $"exact for guest-visible counts, ±{GateComparison.Tolerance * 100:0}% for JIT-internal ones. Exit status {BenchExitCodes.Regression} on a regression.");
        foreach (var o in new Option[] { baseline, update, linux, only }) gate.Options.Add(o);
        gate.SetAction(result =>
        {
            var guests = SelectGuests(result.GetValue(linux), result.GetValue(only) ?? [], stderr);
            using var writer = new StreamWriter(stdout, leaveOpen: true) { AutoFlush = true };
            var outcome = new RegressionGate(GateSettings.FromEnvironment(), writer, stderr)
                .Run(guests, result.GetValue(baseline)!, result.GetValue(update), cancellationToken);
            return outcome.Passed ? CliExitCodes.Success : BenchExitCodes.Regression;
        });
        return gate;
    }

    static IReadOnlyList<GateGuest> SelectGuests(bool linux, string[] only, TextWriter stderr)
    {
        var guests = GateGuestSet.Quick().ToList();
        if (linux || only.Contains("linux"))
        {
            if (GateGuestSet.Linux(out string? missing) is { } guest) guests.Add(guest);
            else stderr.WriteLine($"jitvirt: gate: note: {missing}; the Linux boot is skipped");
        }
        if (only.Length == 0) return guests;
        foreach (string name in only)
            if (name != "linux" && !guests.Any(g => g.Name == name))
                throw new UsageException($"--guest: unknown guest '{name}' (known: {string.Join(", ", guests.Select(g => g.Name).Append("linux").Distinct())})");
        return [.. guests.Where(g => only.Contains(g.Name))];
    }

    static Command Compare(Stream stdout, TextWriter stderr)
    {
        var baseline = new Argument<string>("BASELINE") { Description = "BenchmarkDotNet full JSON export of the reference run (*-report-full.json)" };
        var candidate = new Argument<string>("CANDIDATE") { Description = "Full JSON export of the run to judge" };
        var threshold = new Option<string>("--threshold") { HelpName = "PERCENT", Description = "Smallest change of the mean reported (default 5%)", DefaultValueFactory = _ => "5%" };
        var noise = new Option<double>("--noise-ns") { HelpName = "NS", Description = "Differences of at most this many nanoseconds per operation are noise (default 0)" };
        var compare = new Command("compare", "Compare two BenchmarkDotNet full JSON exports: benchmarks slower or faster beyond the threshold and the noise floor " +
            $"(overlapping 99.9% confidence intervals are noise too). Exit status {BenchExitCodes.Regression} when one is slower.");
        compare.Arguments.Add(baseline);
        compare.Arguments.Add(candidate);
        compare.Options.Add(threshold);
        compare.Options.Add(noise);
        compare.SetAction(result =>
        {
            double t = WallTimeComparison.ParseThreshold(result.GetValue(threshold)!);
            double noiseNs = result.GetValue(noise);
            if (!(noiseNs >= 0) || double.IsInfinity(noiseNs)) throw new UsageException("--noise-ns must be a non-negative number of nanoseconds");
            var changes = WallTimeComparison.Compare(FullJsonReport.Read(result.GetValue(baseline)!), FullJsonReport.Read(result.GetValue(candidate)!), t, noiseNs);
            using (var writer = new StreamWriter(stdout, leaveOpen: true))
                writer.Write(WallTimeComparison.Format(changes, t, noiseNs));
            bool regression = changes.Any(c => c.Verdict == TimingVerdict.Slower);
            if (regression) stderr.WriteLine($"jitvirt: bench compare: {changes.Count(c => c.Verdict == TimingVerdict.Slower)} benchmark(s) slower than the baseline");
            return regression ? BenchExitCodes.Regression : CliExitCodes.Success;
        });
        return compare;
    }
}
