using JitVirt.Cpu.Execution;

namespace JitVirt.Cli.Profiling;

/// <summary>One activity's share of the run: samples, the wall seconds they stand for, the percentage of all samples, and the guest instructions retired charged to it.</summary>
public readonly record struct ActivityShare(ExecutionActivity Activity, string Key, string Label, long Samples, double Seconds, double Percent, long Instructions);

/// <summary>
/// Where the vCPU thread's wall time went (sampled, <see cref="ActivitySampler"/>), plus the IL tier's compile
/// time, which is measured, not sampled: on the compile thread in the background mode (beside the split, not
/// part of it), on the vCPU thread in the synchronous mode (inside the split's Dispatch share).
/// </summary>
public sealed record TimeSplit
{
    public required double SampledSeconds { get; init; }
    public required long Samples { get; init; }
    public required IReadOnlyList<ActivityShare> Activities { get; init; }
    /// <summary>The guest code pages with the most samples, hottest first (a sampled profile of where the guest was).</summary>
    public IReadOnlyList<PageSamples> HotPages { get; init; } = [];
    /// <summary>IL emission and .NET JIT time of every compile; null without the IL tier.</summary>
    public double? CompileSeconds { get; init; }
    /// <summary>"background" (a compile thread of its own) or "vcpu" (compiled on the guest's thread); null without the IL tier.</summary>
    public string? CompileThread { get; init; }

    /// <summary>JSON key and --stats label of each activity, in <see cref="ExecutionActivity"/> order.</summary>
    public static readonly (ExecutionActivity Activity, string Key, string Label)[] Names =
    [
        (ExecutionActivity.Machine, "machine", "machine loop, timers, devices"),
        (ExecutionActivity.Dispatch, "dispatch", "IL tier dispatch (lookup, decode, events)"),
        (ExecutionActivity.Interpreter, "interpreter", "interpreted guest code"),
        (ExecutionActivity.CompiledCode, "compiledCode", "compiled guest code"),
        (ExecutionActivity.ExitHandling, "exitHandling", "exits (exit, handler, entry)"),
        (ExecutionActivity.Idle, "idle", "idle (guest halted)"),
    ];

    public static TimeSplit From(ActivityHistogram histogram, double? compileSeconds, string? compileThread)
    {
        long total = histogram.TotalSamples;
        var shares = Names.Select(n =>
        {
            long samples = (int)n.Activity < histogram.Samples.Count ? histogram.Samples[(int)n.Activity] : 0;
            double fraction = total == 0 ? 0 : (double)samples / total;
            long instructions = (int)n.Activity < histogram.Instructions.Count ? histogram.Instructions[(int)n.Activity] : 0;
            return new ActivityShare(n.Activity, n.Key, n.Label, samples, fraction * histogram.SampledSeconds, 100 * fraction, instructions);
        }).ToArray();
        return new TimeSplit
        {
            SampledSeconds = histogram.SampledSeconds,
            Samples = total,
            Activities = shares,
            HotPages = histogram.Pages,
            CompileSeconds = compileSeconds,
            CompileThread = compileThread,
        };
    }
}
