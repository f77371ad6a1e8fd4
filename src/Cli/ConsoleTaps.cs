using JitVirt.Machine.Pc;

namespace JitVirt.Cli;

/// <summary>
/// Puts a <see cref="ConsoleMarkerWatch"/> in front of every guest console of a configuration (COM1 and
/// the port E9h console) for <c>--until</c>. Consoles that share a stream share one watch, so the machine
/// still sees one destination and keeps their bytes in order. A file console is opened here (and closed
/// by <see cref="Dispose"/>) so its bytes pass the watch too.
/// </summary>
public sealed class ConsoleTaps : IDisposable
{
    private readonly List<ConsoleMarkerWatch> _watches = [];
    private readonly List<Stream> _owned = [];
    private readonly string _marker;

    private ConsoleTaps(string marker) => _marker = marker;

    public bool Seen => _watches.Exists(w => w.Seen);

    /// <summary>Wraps the consoles of <paramref name="config"/>; <paramref name="onSeen"/> runs once, on the vCPU thread.</summary>
    public static (MachineConfig Config, ConsoleTaps Taps) Attach(MachineConfig config, string marker, Action onSeen)
    {
        var taps = new ConsoleTaps(marker);
        var byTarget = new Dictionary<OutputTarget, OutputTarget>();
        OutputTarget? Tap(OutputTarget? target)
        {
            if (target is null or OutputTarget.NoneTarget) return target;
            if (byTarget.TryGetValue(target, out var tapped)) return tapped;
            Stream inner = target switch
            {
                OutputTarget.StreamTarget s => s.Stream,
                OutputTarget.FileTarget f => taps.Own(new FileStream(f.Path, FileMode.Create, FileAccess.Write, FileShare.Read)),
                _ => Console.OpenStandardOutput(),
            };
            var watch = new ConsoleMarkerWatch(inner, marker) { MarkerSeen = onSeen };
            taps._watches.Add(watch);
            // Line flushing so that a marker line reaches the watch as soon as the guest ends it.
            return byTarget[target] = OutputTarget.ToStream(watch, flushEachLine: true);
        }
        var serial = Tap(config.Serial)!;
        var debugConsole = Tap(config.DebugConsole);
        if (taps._watches.Count == 0)
            throw new UsageException($"--until '{marker}' needs a guest console (-serial stdio or file:PATH, or --e9)");
        return (config with { Serial = serial, DebugConsole = debugConsole }, taps);
    }

    private Stream Own(Stream stream)
    {
        _owned.Add(stream);
        return stream;
    }

    public override string ToString() => $"--until '{_marker}'";

    public void Dispose()
    {
        foreach (var s in _owned) s.Dispose();
    }
}
