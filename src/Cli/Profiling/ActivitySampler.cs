using System.Diagnostics;
using JitVirt.Cpu.Execution;
using JitVirt.Frontend;

namespace JitVirt.Cli.Profiling;

/// <summary>
/// Samples what the vCPU's thread is doing (<see cref="JitVirt.Cpu.Cpu.Activity"/>) every few milliseconds on
/// a thread of its own and histograms it: the share of samples in an activity is its share of the wall time
/// between <see cref="Start"/> and <see cref="Stop"/>. Each sample also notes the guest's 4 KiB code page (linear
/// RIP) and code mode, so the hottest pages show which guest code the interpreted time belongs to. The vCPU only
/// stores a byte at each transition; this thread sleeps between reads, so the run pays nothing measurable for it.
/// A sample races with the vCPU (RIP may already belong to the next block): a statistical profile, no more.
/// </summary>
public sealed class ActivitySampler : IDisposable
{
    /// <summary>
    /// The nominal period (Thread.Sleep; the figures do not depend on it being exact). Measured with perf on the
    /// Linux boot: at 1 ms the sampler thread took 3.8 % of the process's CPU samples (mostly the kernel's
    /// sleep and wake-up); 4 ms still gives over 10,000 samples in a 45 s boot for a quarter of that.
    /// </summary>
    public const int IntervalMilliseconds = 4;

    private static readonly int ActivityCount = Enum.GetValues<ExecutionActivity>().Length;

    private readonly JitVirt.Cpu.Cpu _cpu;
    private readonly long[] _samples = new long[ActivityCount];
    private readonly long[] _instructions = new long[ActivityCount];
    private readonly Dictionary<(ulong Page, CodeMode Mode), long[]> _pages = new();
    private readonly Stopwatch _elapsed = new();
    private Thread? _thread;
    private volatile bool _stopping;

    public ActivitySampler(JitVirt.Cpu.Cpu cpu) => _cpu = cpu;

    public void Start()
    {
        if (_thread is not null) throw new InvalidOperationException("the sampler runs once");
        _thread = new Thread(SampleLoop) { IsBackground = true, Name = "JitVirt activity sampler" };
        _elapsed.Start();
        _thread.Start();
    }

    /// <summary>Stops sampling and returns the histogram over the time since <see cref="Start"/>.</summary>
    public ActivityHistogram Stop()
    {
        _stopping = true;
        _thread?.Join();
        _elapsed.Stop();
        var pages = _pages.Select(p => new PageSamples(p.Key.Page, p.Key.Mode, p.Value[..ActivityCount], p.Value[ActivityCount..].Sum()))
            .OrderByDescending(p => p.Total).ThenBy(p => p.Page).Take(HotPages).ToArray();
        return new ActivityHistogram(_elapsed.Elapsed.TotalSeconds, (long[])_samples.Clone(), (long[])_instructions.Clone(), pages);
    }

    /// <summary>Pages kept in the histogram's hot-page list.</summary>
    public const int HotPages = 16;

    /// <summary>
    /// Each sample also charges the instructions retired since the previous sample to the activity and page it
    /// finds (the guest's retired-instruction count is written back at least once per machine slice, so the
    /// charge lands within a slice of where it belongs): instructions per second of an activity's share.
    /// </summary>
    private void SampleLoop()
    {
        long lastRetired = _cpu.InstructionsRetired;
        while (!_stopping)
        {
            Thread.Sleep(IntervalMilliseconds);
            int a = (int)_cpu.Activity;
            long retired = _cpu.InstructionsRetired;
            long delta = retired - lastRetired;
            lastRetired = retired;
            if ((uint)a >= (uint)_samples.Length) continue;
            _samples[a]++;
            _instructions[a] += delta;
            var key = (_cpu.Rip & ~0xFFFul, _cpu.CodeMode);
            if (!_pages.TryGetValue(key, out var counts)) _pages[key] = counts = new long[2 * ActivityCount];
            counts[a]++;
            counts[ActivityCount + a] += delta;
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _thread?.Join();
    }
}

/// <summary>Samples per <see cref="ExecutionActivity"/> taken on one guest code page (linear RIP &amp; ~FFFh) in one code mode, and the instructions charged to it.</summary>
public sealed record PageSamples(ulong Page, CodeMode Mode, IReadOnlyList<long> Samples, long Instructions)
{
    public long Total => Samples.Sum();
}

/// <summary>
/// Samples per <see cref="ExecutionActivity"/> (indexed by its value) taken over <paramref name="SampledSeconds"/> of
/// wall time, the guest instructions retired charged to each, and the <see cref="ActivitySampler.HotPages"/> guest
/// code pages with the most samples.
/// </summary>
public sealed record ActivityHistogram(double SampledSeconds, IReadOnlyList<long> Samples, IReadOnlyList<long> Instructions, IReadOnlyList<PageSamples> Pages)
{
    public long TotalSamples => Samples.Sum();
}
