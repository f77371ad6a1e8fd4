namespace JitVirt.Machine.Pc;

/// <summary>
/// A buffered byte sink behind a guest character device. Bytes are kept until a newline (for an
/// interactive console), until the buffer fills, or until <see cref="Flush"/>; the machine flushes on
/// every way out of a run, so nothing the guest wrote is lost.
/// </summary>
public sealed class GuestOutput : IDisposable
{
    private const int BufferSize = 4096;

    private readonly Stream? _stream;
    private readonly bool _ownsStream;
    private readonly bool _flushOnNewline;
    private readonly byte[] _buffer = new byte[BufferSize];
    private int _count;

    private GuestOutput(Stream? stream, bool ownsStream, bool flushOnNewline)
    {
        _stream = stream;
        _ownsStream = ownsStream;
        _flushOnNewline = flushOnNewline;
    }

    /// <summary>Total bytes the guest wrote (including those dropped by a <see cref="OutputTarget.None"/> sink).</summary>
    public long BytesWritten { get; private set; }

    public static GuestOutput Open(OutputTarget target) => target switch
    {
        OutputTarget.ConsoleTarget => new GuestOutput(System.Console.OpenStandardOutput(), ownsStream: false, flushOnNewline: true),
        OutputTarget.FileTarget f => new GuestOutput(new FileStream(f.Path, FileMode.Create, FileAccess.Write, FileShare.Read), ownsStream: true, flushOnNewline: false),
        OutputTarget.StreamTarget s => new GuestOutput(s.Stream, ownsStream: false, flushOnNewline: s.FlushEachLine),
        _ => new GuestOutput(null, ownsStream: false, flushOnNewline: false),
    };

    public void Write(byte value)
    {
        BytesWritten++;
        if (_stream is null) return;
        _buffer[_count++] = value;
        if (_count == _buffer.Length || (_flushOnNewline && value == (byte)'\n')) Flush();
    }

    public void Flush()
    {
        if (_stream is null) return;
        if (_count != 0)
        {
            _stream.Write(_buffer, 0, _count);
            _count = 0;
        }
        _stream.Flush();
    }

    public void Dispose()
    {
        Flush();
        if (_ownsStream) _stream!.Dispose();
    }
}
