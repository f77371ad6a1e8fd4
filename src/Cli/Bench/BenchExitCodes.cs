namespace JitVirt.Cli.Bench;

/// <summary>Exit status of <c>jitvirt bench gate</c> and <c>jitvirt bench compare</c> when they find a regression (even, like every status jitvirt chooses; see <see cref="CliExitCodes"/>).</summary>
public static class BenchExitCodes
{
    public const int Regression = 120;
}
