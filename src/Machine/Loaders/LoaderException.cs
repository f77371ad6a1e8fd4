namespace JitVirt.Machine.Loaders;

/// <summary>
/// A boot image could not be loaded. <see cref="Exception.Message"/> is one user-facing line that
/// names the file and the problem ("kernel.elf: PT_LOAD segments 0 and 1 overlap"), fit for the CLI
/// to print as it is. Loaders raise nothing else for a malformed or unfitting image.
/// </summary>
public sealed class LoaderException : Exception
{
    public LoaderException(string fileName, string problem, Exception? inner = null)
        : base($"{fileName}: {problem}", inner)
    {
        FileName = fileName;
        Problem = problem;
    }

    /// <summary>The file (as the user named it) that could not be loaded.</summary>
    public string FileName { get; }

    /// <summary>The problem, without the file name.</summary>
    public string Problem { get; }
}
