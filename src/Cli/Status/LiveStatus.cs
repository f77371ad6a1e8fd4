using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace JitVirt.Cli.Status;

/// <summary>What the status line is computed from: the vCPU, instructions retired, exits taken, code regions built, time since the start.</summary>
public readonly record struct StatusSample(string Vcpu, long Instructions, long Exits, long Regions, TimeSpan Elapsed);

/// <summary>
/// A one-line live status on the terminal (stderr), redrawn a few times a second while the guest runs:
/// which vCPU, guest MIPS and exits per second over the last period, code regions built so far (IL
/// regions compiled, or blocks decoded by the interpreter), elapsed time. Only when both
/// stdout and stderr are terminals; the guest console shares the screen, so the line is erased before
/// every guest write (<see cref="GuestConsoleGate"/>) and drawn again only at the start of a line.
/// </summary>
public sealed class LiveStatus : IDisposable
{
    private const string EraseLine = "\r\u001b[2K"; // CR, then ECMA-48 EL (erase in line) with parameter 2: the whole line
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(250);

    private readonly TextWriter _terminal;
    private readonly IAnsiConsole _console;
    private readonly string _vcpu;
    private readonly Func<long> _instructions;
    private readonly Func<long> _exits;
    private readonly Func<long> _regions;
    private readonly Stopwatch _clock = new();
    private readonly Thread _refresher;
    private readonly ManualResetEventSlim _stop = new();
    private readonly Lock _gate = new();
    private StatusSample _previous;
    private bool _shown;
    private bool _disposed;

    public LiveStatus(TextWriter terminal, string vcpu, Func<long> instructions, Func<long> exits, Func<long> regions)
    {
        _terminal = terminal;
        _vcpu = vcpu;
        _instructions = instructions;
        _exits = exits;
        _regions = regions;
        _console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(terminal),
            Ansi = AnsiSupport.Yes,
            ColorSystem = ColorSystemSupport.Detect,
            Interactive = InteractionSupport.No,
        });
        // A thread of its own, not a thread-pool timer: the guest's vCPU and the IL compile thread keep
        // the pool's threads busy, and a starved pool delayed the timer's callbacks for seconds.
        _refresher = new Thread(Refresh) { IsBackground = true, Name = "jitvirt status" };
    }

    private void Refresh()
    {
        while (!_stop.Wait(Period)) Draw();
    }

    /// <summary>Starts drawing (call when the guest starts running).</summary>
    public void Start()
    {
        lock (_gate)
        {
            _clock.Restart();
            _previous = Sample();
        }
        _refresher.Start();
    }

    private StatusSample Sample() => new(_vcpu, _instructions(), _exits(), _regions(), _clock.Elapsed);

    /// <summary>True while the guest's last console byte ended a line: the status may be drawn below it.</summary>
    internal bool AtLineStart { get; set; } = true;

    internal Lock Gate => _gate;

    /// <summary>The status text (Spectre markup) for a sample, with the rate since <paramref name="previous"/>.</summary>
    public static string Markup(StatusSample now, StatusSample previous)
    {
        double seconds = (now.Elapsed - previous.Elapsed).TotalSeconds;
        double mips = seconds > 0 ? (now.Instructions - previous.Instructions) / seconds / 1e6 : 0;
        double exitsPerSecond = seconds > 0 ? Math.Max(now.Exits - previous.Exits, 0) / seconds : 0;
        var c = CultureInfo.InvariantCulture;
        // Short enough for an 80-column terminal (a wrapped line could not be erased): at most about 75 characters.
        string vcpu = now.Vcpu.Length > 11 ? now.Vcpu[..11] : now.Vcpu;
        return string.Create(c, $"[bold]jitvirt[/] {Spectre.Console.Markup.Escape(vcpu)} [green]{(mips < 10_000 ? Math.Max(mips, 0).ToString("F2", c) : Compact(mips)),9} MIPS[/] {Compact(exitsPerSecond),9} exits/s {Compact(now.Regions),9} regions [grey]{now.Elapsed:mm\\:ss\\.f}[/]");
    }

    /// <summary>Up to 9 999 999 with separators, beyond that in K/M/G/T/P/E with one decimal: never wider than 9.</summary>
    public static string Compact(double value)
    {
        var c = CultureInfo.InvariantCulture;
        if (value < 10_000_000) return value.ToString("N0", c);
        string[] suffixes = ["K", "M", "G", "T", "P", "E"];
        int k = -1;
        while (value >= 1000 && k < suffixes.Length - 1) { value /= 1000; k++; }
        return value.ToString("F1", c) + suffixes[k];
    }

    /// <summary>Erases the line if it is shown; call with <see cref="Gate"/> held.</summary>
    internal void HideLocked()
    {
        if (!_shown) return;
        _terminal.Write(EraseLine);
        _terminal.Flush();
        _shown = false;
    }

    private void Draw()
    {
        lock (_gate)
        {
            if (_disposed || !AtLineStart) return;
            var now = Sample();
            _terminal.Write(EraseLine);
            _console.Markup(Markup(now, _previous));
            _terminal.Flush();
            _previous = now;
            _shown = true;
        }
    }

    public void Dispose()
    {
        _stop.Set();
        if (_refresher.IsAlive) _refresher.Join();
        lock (_gate)
        {
            HideLocked();
            _disposed = true;
        }
    }
}
