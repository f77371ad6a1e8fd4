namespace JitVirt.Machine.Pc;

/// <summary>Where a guest character device writes: the host's stdout, a file, a caller's stream, or nowhere.</summary>
public abstract record OutputTarget
{
    private OutputTarget() { }

    public static OutputTarget Console { get; } = new ConsoleTarget();
    public static OutputTarget None { get; } = new NoneTarget();
    public static OutputTarget File(string path) => new FileTarget(path);
    /// <summary>
    /// Writes into <paramref name="stream"/> (tests, embedding, a front end's stdout); the machine flushes but
    /// never closes it. <paramref name="flushEachLine"/> pushes every completed line out at once, as a console needs.
    /// </summary>
    public static OutputTarget ToStream(Stream stream, bool flushEachLine = false) => new StreamTarget(stream, flushEachLine);

    public sealed record ConsoleTarget : OutputTarget;
    public sealed record NoneTarget : OutputTarget;
    public sealed record FileTarget(string Path) : OutputTarget;
    public sealed record StreamTarget(Stream Stream, bool FlushEachLine) : OutputTarget;
}
