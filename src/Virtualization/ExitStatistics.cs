using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace JitVirt.Virtualization;

/// <summary>One row of a front end's exit table: KVM's name for the exit and its category.</summary>
public readonly record struct ExitKind(string Name, ExitCategory Category);

/// <summary>
/// Exit counts and handling times per exit kind, indexed like the front end's handler table (the
/// SVM exit code or the VMX basic exit reason), in the units <c>perf kvm stat report</c> uses.
/// Counting is always on; timing (two timestamp reads per exit) only when <see cref="Timing"/> is set.
/// </summary>
public sealed class ExitStatistics
{
    readonly Row[] _rows;

    public ExitStatistics(IReadOnlyList<ExitKind?> kinds)
    {
        _rows = new Row[kinds.Count];
        for (int i = 0; i < kinds.Count; i++) _rows[i] = new Row(kinds[i]);
    }

    /// <summary>Measure each exit's handling time (host ticks of <see cref="Stopwatch"/>).</summary>
    public bool Timing { get; set; }

    /// <summary>The timestamp to pass to <see cref="Record"/> (0 when timing is off).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Start() => Timing ? Stopwatch.GetTimestamp() : 0;

    /// <summary>Counts one exit of kind <paramref name="index"/> that began at <paramref name="start"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Record(int index, long start)
    {
        var row = _rows[index];
        row.Count++;
        if (start != 0) row.AddTime(Stopwatch.GetTimestamp() - start);
    }

    public long Total { get { long t = 0; foreach (var r in _rows) t += r.Count; return t; } }

    /// <summary>The kinds seen at least once, with their figures.</summary>
    public IEnumerable<ExitRecord> Snapshot()
    {
        for (int i = 0; i < _rows.Length; i++)
        {
            var r = _rows[i];
            if (r.Count == 0 || r.Kind is not { } kind) continue;
            yield return new ExitRecord(i, kind.Name, kind.Category, r.Count, r.TimedCount, Ns(r.TotalTicks), Ns(r.MinTicks), Ns(r.MaxTicks), r.RelativeStdDevPercent);
        }
    }

    public void Clear() { foreach (var r in _rows) r.Clear(); }

    static double Ns(double ticks) => ticks * 1e9 / Stopwatch.Frequency;

    sealed class Row(ExitKind? kind)
    {
        public readonly ExitKind? Kind = kind;
        public long Count, TimedCount;
        public double TotalTicks, SumSquares, MinTicks = double.MaxValue, MaxTicks;

        public void AddTime(long ticks)
        {
            TimedCount++;
            TotalTicks += ticks;
            SumSquares += (double)ticks * ticks;
            if (ticks < MinTicks) MinTicks = ticks;
            if (ticks > MaxTicks) MaxTicks = ticks;
        }

        /// <summary>Standard deviation of the mean relative to the mean, in percent (perf's "± x%").</summary>
        public double RelativeStdDevPercent
        {
            get
            {
                if (TimedCount < 2 || TotalTicks == 0) return 0;
                double mean = TotalTicks / TimedCount;
                double variance = (SumSquares - TimedCount * mean * mean) / (TimedCount - 1);
                return Math.Sqrt(Math.Max(variance, 0) / TimedCount) / mean * 100;
            }
        }

        public void Clear() { Count = TimedCount = 0; TotalTicks = SumSquares = MaxTicks = 0; MinTicks = double.MaxValue; }
    }
}

/// <summary>One exit kind's figures: times in nanoseconds (0 when timing was off).</summary>
public readonly record struct ExitRecord(int Index, string Name, ExitCategory Category, long Count, long TimedCount, double TotalNs, double MinNs, double MaxNs, double RelativeStdDevPercent)
{
    public double AverageNs => TimedCount == 0 ? 0 : TotalNs / TimedCount;
    public double MinOrZeroNs => TimedCount == 0 ? 0 : MinNs;
}
