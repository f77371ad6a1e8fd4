namespace JitVirt.Cli.Status;

/// <summary>
/// The guest console's stream when a <see cref="LiveStatus"/> shares the terminal: each write first erases
/// the status line, then passes the bytes through, and records whether they ended a line.
/// </summary>
public sealed class GuestConsoleGate(Stream inner, LiveStatus status) : Stream
{
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (buffer.IsEmpty) return;
        lock (status.Gate)
        {
            status.HideLocked();
            inner.Write(buffer);
            inner.Flush();
            status.AtLineStart = buffer[^1] == (byte)'\n';
        }
    }

    public override void Flush() => inner.Flush();
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
