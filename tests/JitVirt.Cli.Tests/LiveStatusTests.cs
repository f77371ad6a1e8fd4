using JitVirt.Cli.Status;
using Spectre.Console;
using static JitVirt.Cli.Tests.CliHarness;

namespace JitVirt.Cli.Tests;

/// <summary>The live status line: its text, and that it never appears unless asked for (a terminal on both streams).</summary>
public class LiveStatusTests
{
    [Fact]
    public void StatusLineShowsTheRateOverThePeriodAndFitsEightyColumns()
    {
        var before = new StatusSample("interpreter", 1_000_000, 10, TimeSpan.FromSeconds(1));
        var now = new StatusSample("interpreter", 6_000_000, 2_000_000, TimeSpan.FromSeconds(1.5));
        string markup = LiveStatus.Markup(now, before);
        string plain = Markup.Remove(markup);
        Assert.Contains("10.00 MIPS", plain); // 5 000 000 instructions in 0.5 s
        Assert.Contains(" 6,000,000 insns", plain);
        Assert.Contains("2,000,000 exits", plain);
        Assert.Contains("00:01.5", plain);
        var worst = new StatusSample("a-very-long-front-end-name", long.MaxValue / 2, long.MaxValue / 2, TimeSpan.FromMinutes(59));
        Assert.True(Markup.Remove(LiveStatus.Markup(worst, before)).Length < 80, "a wrapped status line could not be erased");
    }

    [Theory]
    [InlineData(999, "999")]
    [InlineData(9_999_999, "9,999,999")]
    [InlineData(12_345_678, "12.3M")]
    [InlineData(4_200_000_000_000, "4.2T")]
    public void LargeFiguresAreCompact(double value, string text) => Assert.Equal(text, LiveStatus.Compact(value));

    [Fact]
    public void NonInteractiveRunsWriteNoTerminalControls()
    {
        using var kernel = new TempFile(Guests.PrintThenSpin("quiet\n"));
        var r = Run("run", "-kernel", kernel.Path, "--timeout", "0.7");
        Assert.Equal(CliExitCodes.Timeout, r.Status);
        Assert.Equal("quiet\n", r.Stdout);
        Assert.DoesNotContain('\u001b', r.Stderr);
    }
}
