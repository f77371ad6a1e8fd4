using JitVirt.Machine.Pc;

namespace JitVirt.Cli;

/// <summary>QEMU's <c>-serial</c> back ends that JitVirt has: stdio, file:PATH, none (also null).</summary>
public static class SerialSpec
{
    public static OutputTarget Parse(string spec, Stream stdout) => spec switch
    {
        "stdio" or "mon:stdio" => OutputTarget.ToStream(stdout, flushEachLine: true),
        "none" or "null" => OutputTarget.None,
        _ when spec.StartsWith("file:", StringComparison.Ordinal) && spec.Length > 5 => File(spec[5..]),
        _ => throw new UsageException($"unsupported -serial '{spec}' (use stdio, file:PATH or none)"),
    };

    /// <summary>A file console; a path whose directory does not exist, or that names a directory, is bad input.</summary>
    private static OutputTarget File(string path)
    {
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is null || !Directory.Exists(directory)) throw new UsageException($"-serial file:{path}: directory does not exist");
        if (Directory.Exists(path)) throw new UsageException($"-serial file:{path}: is a directory");
        return OutputTarget.File(path);
    }
}
