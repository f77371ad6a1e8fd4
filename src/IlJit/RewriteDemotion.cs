using JitVirt.Frontend;

namespace JitVirt.IlJit;

/// <summary>
/// Frames whose code keeps being overwritten after it was compiled (code next to data it writes,
/// a JIT inside the guest, a loader): every such rewrite throws a compiled body away, so after
/// more than <see cref="Limit"/> rewrites a frame is demoted and blocks with bytes on it stay in the
/// interpreter from then on. A rewrite is one code-invalidation event for the frame
/// (Cpu.CodeFrameInvalidated: the first write after code on it was decoded).
/// </summary>
sealed class RewriteDemotion
{
    readonly HashSet<ulong> _compiledOn = new(), _demoted = new();
    readonly Dictionary<ulong, int> _rewrites = new();

    public RewriteDemotion(int limit) => Limit = limit;

    /// <summary>Rewrites a frame with compiled code may take before it is demoted.</summary>
    public int Limit { get; }

    public int DemotedFrames => _demoted.Count;

    public void Compiled(DecodedBlock block)
    {
        _compiledOn.Add(block.FirstPhysicalPage);
        _compiledOn.Add(block.LastPhysicalPage);
    }

    public void FrameWritten(ulong frame)
    {
        if (!_compiledOn.Contains(frame) || _demoted.Contains(frame)) return;
        int n = _rewrites.TryGetValue(frame, out int old) ? old + 1 : 1;
        if (n <= Limit) { _rewrites[frame] = n; return; }
        _rewrites.Remove(frame);
        _demoted.Add(frame);
    }

    public bool IsDemoted(DecodedBlock block)
        => _demoted.Count != 0 && (_demoted.Contains(block.FirstPhysicalPage) || _demoted.Contains(block.LastPhysicalPage));
}
