using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using JitVirt.Frontend;

namespace JitVirt.IlJit;

/// <summary>A compile the background thread finished: the body, or null when the block was dropped before its turn, or the compiler's exception.</summary>
readonly record struct CompileResult(DecodedBlock Block, CompiledBlock? Body, ExceptionDispatchInfo? Error);

/// <summary>
/// One executor's compile thread: takes regions from a request queue, compiles them, and hands the
/// bodies back through a finished queue the guest's thread drains at block boundaries
/// (<see cref="TieredExecutor"/>), so a body never appears in the middle of a block. The thread
/// reads only what does not change once a block is decoded (its instructions and handlers) and
/// the blocks' IsValid flags, where a stale read only wastes a compile: the guest's thread checks
/// again before it installs.
/// </summary>
sealed class BackgroundCompiler : IDisposable
{
    readonly BlockingCollection<Region> _requests = new(new ConcurrentQueue<Region>());
    readonly ConcurrentQueue<CompileResult> _finished = new();
    readonly CompileStatistics _statistics;
    readonly ChainState _state;
    readonly Thread _thread;
    readonly object _gate = new();
    int _outstanding; // requested, and not yet in _finished

    public BackgroundCompiler(CompileStatistics statistics, ChainState state)
    {
        _statistics = statistics;
        _state = state;
        _thread = new Thread(CompileLoop) { IsBackground = true, Name = "JitVirt IL compiler" };
        _thread.Start();
    }

    /// <summary>Queues the region headed by a hot block (formed on the guest's thread).</summary>
    public void Request(Region region)
    {
        lock (_gate) _outstanding++;
        _requests.Add(region);
    }

    /// <summary>True when at least one result waits to be taken (a cheap test for the dispatcher).</summary>
    public bool HasFinished => !_finished.IsEmpty;

    public bool TryTakeFinished(out CompileResult result) => _finished.TryDequeue(out result);

    /// <summary>Blocks until every request made so far has a result in the finished queue.</summary>
    public void WaitForOutstanding()
    {
        lock (_gate)
            while (_outstanding != 0) Monitor.Wait(_gate);
    }

    void CompileLoop()
    {
        foreach (var region in _requests.GetConsumingEnumerable())
        {
            var block = region.Head;
            CompileResult result;
            try
            {
                result = new(block, region.IsValid ? _statistics.Compile(region, _state) : null, null);
            }
            catch (Exception e)
            {
                // A compiler bug, not a guest event: the guest's thread rethrows it when it takes the result.
                result = new(block, null, ExceptionDispatchInfo.Capture(e));
            }
            _finished.Enqueue(result);
            lock (_gate)
                if (--_outstanding == 0) Monitor.PulseAll(_gate);
        }
    }

    public void Dispose()
    {
        _requests.CompleteAdding();
        _thread.Join();
        _requests.Dispose();
    }
}
