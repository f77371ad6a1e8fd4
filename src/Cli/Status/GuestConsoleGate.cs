namespace JitVirt.Cli.Status;

/// <summary>
/// The guest console's stream when a <see cref="LiveStatus"/> shares the terminal: each write first erases
/// the status line, then passes the bytes through, and records whether they ended a line.
/// </summary>
public sealed class GuestConsoleGate(Stream inner, LiveStatus status) : WriteOnlyStream
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
}
