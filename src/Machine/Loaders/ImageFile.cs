namespace JitVirt.Machine.Loaders;

/// <summary>The bytes of one file handed to a loader, with the name used in error messages.</summary>
public sealed record ImageFile(string Name, ReadOnlyMemory<byte> Bytes)
{
    public int Length => Bytes.Length;

    /// <summary>Reads <paramref name="path"/>; an I/O failure becomes a <see cref="LoaderException"/> naming the file.</summary>
    public static ImageFile Read(string path)
    {
        try
        {
            return new ImageFile(path, File.ReadAllBytes(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new LoaderException(path, $"cannot read the file ({e.Message})", e);
        }
    }

    /// <summary>A <see cref="LoaderException"/> about this file.</summary>
    public LoaderException Error(string problem) => new(Name, problem);
}
