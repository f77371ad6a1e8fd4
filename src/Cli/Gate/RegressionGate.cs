namespace JitVirt.Cli.Gate;

/// <summary>
/// <c>jitvirt bench gate</c>: runs every guest under every front end, prints the summary, and either
/// compares with the baseline (failures and notes on stderr, one line each) or, with --update, rewrites it.
/// </summary>
public sealed class RegressionGate(GateSettings settings, TextWriter stdout, TextWriter stderr)
{
    /// <summary>The rule of a note for a baseline run not measured this time (--guest, or no --linux).</summary>
    public const string Skipped = "skipped";

    public sealed record Result(IReadOnlyList<GateMeasurement> Runs, IReadOnlyList<GateFinding> Findings)
    {
        public bool Passed => !Findings.Any(f => f.IsFailure);
    }

    /// <summary>Measures <paramref name="guests"/>; the summary line of each run is printed as soon as it ends.</summary>
    public IReadOnlyList<GateMeasurement> Measure(IReadOnlyList<GateGuest> guests, CancellationToken cancellationToken = default)
    {
        if (!settings.Chaining) stderr.WriteLine($"jitvirt: gate: block chaining is off ({GateSettings.DisableChainingVariable}=1): a deliberate regression");
        var runner = new GateRunner(settings, stderr);
        var runs = new List<GateMeasurement>();
        stdout.Write(GateTable.Header());
        foreach (var guest in guests)
        {
            foreach (string frontEnd in settings.FrontEnds)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var m = runner.Run(guest, frontEnd, cancellationToken);
                runs.Add(m);
                stdout.Write(GateTable.Row(m));
                stdout.Flush();
            }
        }
        return runs;
    }

    /// <summary>Compares <paramref name="runs"/> with <paramref name="baseline"/>: a run without a baseline entry fails; baseline entries not run are noted.</summary>
    public static IReadOnlyList<GateFinding> Check(GateBaseline baseline, IReadOnlyList<GateMeasurement> runs)
    {
        var findings = new List<GateFinding>();
        foreach (var run in runs)
        {
            if (baseline.Find(run.Guest, run.FrontEnd) is { } before) findings.AddRange(GateComparison.Compare(before, run));
            else findings.Add(new(run.Run, "run", "absent", "measured", "no baseline: record it with --update", IsFailure: true));
        }
        foreach (var old in baseline.Runs.Where(b => !runs.Any(r => r.Guest == b.Guest && r.FrontEnd == b.FrontEnd)))
            findings.Add(new(old.Run, "run", "recorded", "not run", Skipped, IsFailure: false));
        return findings;
    }

    public Result Run(IReadOnlyList<GateGuest> guests, string baselinePath, bool update, CancellationToken cancellationToken = default)
    {
        var baseline = GateBaseline.Load(baselinePath);
        var runs = Measure(guests, cancellationToken);
        if (update)
        {
            baseline.With(runs, settings.CompileThreshold).Save(baselinePath);
            stderr.WriteLine($"jitvirt: gate: baseline {baselinePath} updated ({runs.Count} runs)");
            return new Result(runs, []);
        }
        var findings = new List<GateFinding>();
        if (baseline.Runs.Count > 0 && baseline.CompileThreshold != settings.CompileThreshold)
            findings.Add(new("gate", "compileThreshold", baseline.CompileThreshold.ToString(), settings.CompileThreshold.ToString(), "exact", IsFailure: true));
        findings.AddRange(Check(baseline, runs));
        var skipped = findings.Where(f => f.Rule == Skipped).Select(f => f.Run).ToList();
        foreach (var f in findings.Where(f => f.Rule != Skipped)) stderr.WriteLine($"jitvirt: gate: {(f.IsFailure ? "FAIL" : "note")} {f}");
        if (skipped.Count > 0) stderr.WriteLine($"jitvirt: gate: note: {skipped.Count} baseline run{(skipped.Count == 1 ? "" : "s")} not run this time: {string.Join(", ", skipped)}");
        int failures = findings.Count(f => f.IsFailure);
        stderr.WriteLine(failures == 0
            ? $"jitvirt: gate: passed ({runs.Count} runs match {baselinePath})"
            : $"jitvirt: gate: {failures} regression{(failures == 1 ? "" : "s")} against {baselinePath}");
        return new Result(runs, findings);
    }
}
