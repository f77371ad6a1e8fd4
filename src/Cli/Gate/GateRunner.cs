using System.CommandLine;
using System.Security.Cryptography;

namespace JitVirt.Cli.Gate;

/// <summary>
/// Runs one gate guest under one front end through the CLI's own run path: the guest's <c>jitvirt run</c>
/// arguments (always <c>--deterministic -no-reboot --vm FE</c>) are parsed by <see cref="RunOptions"/> and
/// executed by <see cref="RunSession"/> with the built-in front ends and the IL tier (<c>--tier il</c>) at the
/// gate's compile threshold; the test-only chaining switch goes to the session.
/// </summary>
public sealed class GateRunner(GateSettings settings, TextWriter diagnostics)
{
    public GateMeasurement Run(GateGuest guest, string frontEnd, CancellationToken cancellationToken = default)
    {
        string? imagePath = null;
        try
        {
            var args = new List<string> { "--deterministic", "-no-reboot", "--vm", frontEnd, "--tier", "il",
                "--jit-threshold", settings.CompileThreshold.ToString(System.Globalization.CultureInfo.InvariantCulture), "--timeout", guest.TimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            if (guest.FlatImage is { } image)
            {
                imagePath = Path.Combine(Path.GetTempPath(), $"jitvirt-gate-{guest.Name}-{Guid.NewGuid():N}.bin");
                File.WriteAllBytes(imagePath, image);
                args.AddRange(["-kernel", imagePath, "-device", "isa-debug-exit"]);
            }
            args.AddRange(guest.Arguments);
            return Execute(guest, frontEnd, [.. args], cancellationToken);
        }
        finally
        {
            if (imagePath is not null) File.Delete(imagePath);
        }
    }

    GateMeasurement Execute(GateGuest guest, string frontEnd, string[] args, CancellationToken cancellationToken)
    {
        var options = new RunOptions();
        var command = new RootCommand();
        options.AddTo(command);
        var parsed = command.Parse(args, new ParserConfiguration { EnablePosixBundling = false });
        if (parsed.Errors.Count > 0) throw new InvalidOperationException($"gate guest {guest.Name}: {parsed.Errors[0].Message}");

        using var console = new MemoryStream();
        var session = new RunSession(parsed, options, args, console, diagnostics, FrontEndCatalog.Builtin) { Chaining = settings.Chaining, MaxRegionInstructions = settings.MaxRegionInstructions };
        var (record, _) = session.Execute(RunSettings.From(parsed, options), cancellationToken);
        if (record.Configuration.Tier != "il") throw new InvalidOperationException($"gate guest {guest.Name}: front end '{frontEnd}' did not run the IL tier");

        var (exact, tolerant) = GateCounterKinds.Split(record.Counters, record.Exits);
        byte[] bytes = console.ToArray();
        return new GateMeasurement
        {
            Guest = guest.Name,
            FrontEnd = frontEnd,
            Outcome = record.End.Kind,
            ExitStatus = record.End.ExitStatus,
            ConsoleBytes = bytes.Length,
            ConsoleSha256 = Convert.ToHexStringLower(SHA256.HashData(bytes)),
            Exact = exact,
            Tolerant = tolerant,
            WallSeconds = record.WallSeconds,
            Console = bytes,
        };
    }
}
