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
        var before = new StatusSample("svm", 1_000_000, 10, 5, TimeSpan.FromSeconds(1));
        var now = new StatusSample("svm", 6_000_000, 2_000_010, 1_234, TimeSpan.FromSeconds(1.5));
        string markup = LiveStatus.Markup(now, before);
        string plain = Markup.Remove(markup);
        Assert.Contains("10.00 MIPS", plain); // 5 000 000 instructions in 0.5 s
        Assert.Contains("4,000,000 exits/s", plain); // 2 000 000 exits in 0.5 s
        Assert.Contains("1,234 regions", plain);
        Assert.Contains("00:01.5", plain);
        var worst = new StatusSample("a-very-long-front-end-name", long.MaxValue / 2, long.MaxValue / 2, long.MaxValue / 2, TimeSpan.FromMinutes(59));
        Assert.True(Markup.Remove(LiveStatus.Markup(worst, before)).Length < 80, "a wrapped status line could not be erased");
    }

    [Theory]
    [InlineData(999, "999")]
    [InlineData(9_999_999, "9,999,999")]
    [InlineData(12_345_678, "12.3M")]
    [InlineData(4_200_000_000_000, "4.2T")]
    public void LargeFiguresAreCompact(double value, string text) => Assert.Equal(text, LiveStatus.Compact(value));

    [Fact]
    public void InteractiveRunDrawsTheStatusOnStderrAndErasesItAtTheEnd()
    {
        using var kernel = new TempFile(Guests.PrintThenSpin("console line\n"));
        using var stdout = new MemoryStream();
        using var stderr = new StringWriter();
        int status = JitVirtCli.Run(["run", "-kernel", kernel.Path, "--timeout", "3"], stdout, stderr, default, null, interactive: true); // the status refreshes about once a second: room for two draws on a loaded host
        Assert.Equal(CliExitCodes.Timeout, status);
        Assert.Equal("console line\n", System.Text.Encoding.UTF8.GetString(stdout.ToArray())); // the status never reaches stdout
        string err = stderr.ToString();
        Assert.Contains("\r\u001b[2K", err); // drawn over itself: CR, then erase the line
        string plain = Markup.Remove(System.Text.RegularExpressions.Regex.Replace(err, "\u001b\\[[0-9;]*[A-Za-z]", ""));
        Assert.Contains("jitvirt svm ", plain); // the default front end
        Assert.Contains(" MIPS ", plain);
        Assert.Contains(" exits/s ", plain);
        Assert.Contains(" regions ", plain);
        // The last thing before the final report is the erase, so the shell prompt starts on a clean line.
        int lastErase = err.LastIndexOf("\r\u001b[2K", StringComparison.Ordinal);
        Assert.StartsWith("jitvirt: guest stopped: Timeout", err[(lastErase + 5)..]);
    }

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
