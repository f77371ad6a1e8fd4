using JitVirt.SingleStep;

namespace JitVirt.SingleStep.Tests;

/// <summary>Paths and cached data shared by the tests.</summary>
internal static class TestData
{
    public static string Root => SingleStepDataDirectory.Resolve();

    public static string File(string form) =>
        Path.Combine(SingleStepDataDirectory.TestFolder(Root), form + ".MOO.gz");

    private static readonly Lazy<OpcodeMetadata> LazyMetadata = new(() => SingleStepDataDirectory.LoadMetadata(Root));

    public static OpcodeMetadata Metadata => LazyMetadata.Value;
}
