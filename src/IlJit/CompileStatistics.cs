using System.Diagnostics;

namespace JitVirt.IlJit;

/// <summary>
/// What compiling has cost: bodies compiled, IL bytes emitted, time spent (IL emission plus the
/// .NET JIT, which <see cref="BlockCompiler"/> forces before returning). Written by whichever
/// thread compiles, so the adds are interlocked.
/// </summary>
public sealed class CompileStatistics
{
    long _compiled, _ilBytes, _ticks;

    public long Compiled => Interlocked.Read(ref _compiled);
    public long IlBytes => Interlocked.Read(ref _ilBytes);
    public TimeSpan Time => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _ticks));

    /// <summary>Compiles <paramref name="region"/> and records what it cost.</summary>
    public CompiledBlock Compile(Region region, ChainState state)
    {
        long start = Stopwatch.GetTimestamp();
        var compiled = RegionCompiler.Compile(region, state);
        Interlocked.Add(ref _ticks, Stopwatch.GetTimestamp() - start);
        Interlocked.Add(ref _ilBytes, compiled.IlBytes);
        Interlocked.Increment(ref _compiled);
        return compiled;
    }
}
