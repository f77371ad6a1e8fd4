using System.Diagnostics;

namespace JitVirt.SingleStep;

/// <summary>
/// Runs the 80286 real-mode single-step tests against an <see cref="IRealModeCpu"/> and
/// classifies failures as documented 286/386 differences or unexpected.
/// </summary>
public sealed class SingleStepRunner
{
    private readonly IRealModeCpu _cpu;
    private readonly SingleStepRunnerOptions _options;

    public SingleStepRunner(IRealModeCpu cpu, SingleStepRunnerOptions? options = null)
    {
        _cpu = cpu;
        _options = options ?? new SingleStepRunnerOptions();
    }

    /// <summary>Runs every form of a data directory (default: <see cref="SingleStepDataDirectory.Resolve"/>).</summary>
    public SingleStepReport RunDirectory(string? directory = null)
    {
        var root = SingleStepDataDirectory.Resolve(directory);
        var metadata = SingleStepDataDirectory.LoadMetadata(root);
        var revocations = SingleStepDataDirectory.LoadRevocations(root);
        var stopwatch = Stopwatch.StartNew();
        var forms = new List<FormReport>();
        foreach (var file in SingleStepDataDirectory.TestFiles(root))
        {
            var form = InstructionForm.Parse(file);
            if (_options.FormFilter is { } filter && !filter(form)) continue;
            forms.Add(RunFile(file, metadata, revocations));
        }
        return new SingleStepReport { Directory = root, Forms = forms, Elapsed = stopwatch.Elapsed };
    }

    /// <summary>Runs one <c>.MOO.gz</c> file.</summary>
    public FormReport RunFile(string mooPath, OpcodeMetadata metadata, RevocationList? revocations = null)
    {
        var form = InstructionForm.Parse(mooPath);
        var report = new FormReport { Form = form, FileName = Path.GetFileName(mooPath), Info = metadata.Lookup(form) };
        var documentedKept = new List<TestFailure>();
        using var reader = MooReader.Open(mooPath, revocations);
        while (reader.ReadNext() is { } test)
        {
            report.Total++;
            var comparison = RunTest(test, metadata.LookupForTest(test));
            if (comparison.Passed)
            {
                report.Passed++;
                continue;
            }
            var known = KnownDifferences.Classify(test, form.Key, comparison);
            if (known is not null) report.DocumentedFailures++;
            var failure = new TestFailure(test, comparison, known);
            if (known is null && report.FirstFailures.Count < _options.MaxFailuresPerForm)
                report.FirstFailures.Add(failure);
            else if (known is not null && documentedKept.Count < _options.MaxFailuresPerForm)
                documentedKept.Add(failure);
        }
        report.RevokedSkipped = reader.RevokedCount;
        for (int i = 0; i < documentedKept.Count && report.FirstFailures.Count < _options.MaxFailuresPerForm; i++)
            report.FirstFailures.Add(documentedKept[i]);
        return report;
    }

    /// <summary>Runs one test and compares the result; emulator exceptions become HostError.</summary>
    public TestComparison RunTest(SingleStepTest test, OpcodeInfo info)
    {
        var setup = RealModeSetup.FromTest(test, _options.InstructionLimit);
        RealModeResult result;
        try
        {
            result = _cpu.Run(setup);
        }
        catch (Exception ex)
        {
            result = RealModeResult.HostError($"{ex.GetType().Name}: {ex.Message}");
        }
        return TestComparer.Compare(test, info, result);
    }
}
