namespace JitVirt.SingleStep;

/// <summary>
/// Hashes of tests withdrawn upstream (<c>revocation_list.txt</c>: one hex SHA-1 per line,
/// <c>#</c> starts a comment). Revoked tests must not be relied upon (README last paragraph).
/// </summary>
public sealed class RevocationList
{
    private readonly HashSet<string> _hashes;

    public static RevocationList Empty { get; } = new([]);

    public RevocationList(IEnumerable<string> hexHashes) =>
        _hashes = new HashSet<string>(hexHashes.Select(h => h.Trim().ToLowerInvariant()), StringComparer.Ordinal);

    public int Count => _hashes.Count;

    public bool IsRevoked(string hexHash) => _hashes.Contains(hexHash);

    public static RevocationList Load(string path)
    {
        var hashes = new List<string>();
        foreach (var raw in File.ReadLines(path))
        {
            int comment = raw.IndexOf('#');
            var line = (comment >= 0 ? raw[..comment] : raw).Trim();
            if (line.Length > 0) hashes.Add(line);
        }
        return new RevocationList(hashes);
    }

    /// <summary>Loads <c>revocation_list.txt</c> from <paramref name="directory"/>, or returns
    /// <see cref="Empty"/> when the file is absent.</summary>
    public static RevocationList LoadFromDirectory(string directory)
    {
        var path = Path.Combine(directory, "revocation_list.txt");
        return File.Exists(path) ? Load(path) : Empty;
    }
}
