using System.Text;

namespace JitVirt.Cli;

/// <summary>
/// A pass-through stream in front of the guest console that watches for the <c>--until</c> marker
/// (QEMU functional tests' wait_for_console_pattern). Every byte is forwarded before the marker is
/// looked for, so the console is complete up to and including the marker. The guest console is line
/// buffered, so the marker is seen when its line (or a full buffer) reaches this stream.
/// </summary>
public sealed class ConsoleMarkerWatch : WriteOnlyStream
{
    private readonly Stream _inner;
    private readonly byte[] _marker;
    private readonly int[] _fallback; // KMP failure function over _marker
    private int _matched;

    public ConsoleMarkerWatch(Stream inner, string marker)
    {
        if (marker.Length == 0) throw new UsageException("--until needs a non-empty marker");
        _inner = inner;
        _marker = Encoding.UTF8.GetBytes(marker);
        _fallback = new int[_marker.Length];
        for (int i = 1, k = 0; i < _marker.Length; i++)
        {
            while (k > 0 && _marker[i] != _marker[k]) k = _fallback[k - 1];
            if (_marker[i] == _marker[k]) k++;
            _fallback[i] = k;
        }
    }

    /// <summary>Called once, on the vCPU thread, when the marker has gone through.</summary>
    public Action? MarkerSeen { get; set; }

    public bool Seen { get; private set; }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _inner.Write(buffer);
        if (Seen) return;
        foreach (byte b in buffer)
        {
            while (_matched > 0 && b != _marker[_matched]) _matched = _fallback[_matched - 1];
            if (b == _marker[_matched]) _matched++;
            if (_matched == _marker.Length)
            {
                Seen = true;
                _inner.Flush();
                MarkerSeen?.Invoke();
                return;
            }
        }
    }

    public override void Flush() => _inner.Flush();
}
