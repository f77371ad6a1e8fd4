namespace JitVirt.SingleStep;

/// <summary>Locates the data: the folder holding <c>v1_real_mode/</c> and <c>revocation_list.txt</c>.</summary>
public static class SingleStepDataDirectory
{
    public const string EnvironmentVariable = "JITVIRT_SINGLESTEP_DIR";
    /// <summary>Where the data sits relative to the repository root: the shared folder lies beside the checkout.</summary>
    public const string RelativeToRepository = "../shared/data/singlestep-80286";

    /// <summary>Last resort when no repository root is found above the running binaries.</summary>
    public const string FallbackPath = "/work/shared/data/singlestep-80286";
    public const string RealModeSubdirectory = "v1_real_mode";
    public const string MetadataFileName = "metadata.json";
    public const string FilePattern = "*.MOO.gz";

    /// <summary>
    /// <paramref name="directory"/>, else <c>$JITVIRT_SINGLESTEP_DIR</c>, else <c>../shared/...</c>
    /// beside the repository that holds the running binaries (found by walking up to
    /// <c>JitVirt.sln</c>), else <see cref="FallbackPath"/>.
    /// </summary>
    public static string Resolve(string? directory = null)
    {
        if (!string.IsNullOrWhiteSpace(directory)) return directory;
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment)) return fromEnvironment;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "JitVirt.sln"))) continue;
            var candidate = Path.GetFullPath(Path.Combine(dir.FullName, RelativeToRepository));
            if (System.IO.Directory.Exists(candidate)) return candidate;
            break;
        }
        return FallbackPath;
    }

    /// <summary>The folder with the <c>.MOO.gz</c> files: <c>root/v1_real_mode</c>, or root itself.</summary>
    public static string TestFolder(string root)
    {
        var sub = Path.Combine(root, RealModeSubdirectory);
        return System.IO.Directory.Exists(sub) ? sub : root;
    }

    /// <summary>Revocation list next to the test folder or in its parent.</summary>
    public static RevocationList LoadRevocations(string root)
    {
        var testFolder = TestFolder(root);
        var here = Path.Combine(root, "revocation_list.txt");
        if (File.Exists(here)) return RevocationList.Load(here);
        var parent = Path.GetDirectoryName(Path.GetFullPath(testFolder).TrimEnd(Path.DirectorySeparatorChar));
        return parent is null ? RevocationList.Empty : RevocationList.LoadFromDirectory(parent);
    }

    public static OpcodeMetadata LoadMetadata(string root) =>
        OpcodeMetadata.Load(Path.Combine(TestFolder(root), MetadataFileName));

    /// <summary>The test files in ordinal name order.</summary>
    public static string[] TestFiles(string root)
    {
        var files = System.IO.Directory.GetFiles(TestFolder(root), FilePattern);
        Array.Sort(files, StringComparer.Ordinal);
        return files;
    }
}
