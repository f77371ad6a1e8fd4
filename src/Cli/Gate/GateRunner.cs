using System.CommandLine;
using System.Security.Cryptography;
using JitVirt.Cpu.Execution;
using JitVirt.IlJit;
using JitVirt.Virtualization;

namespace JitVirt.Cli.Gate;

/// <summary>
/// Runs one gate guest under one front end through the CLI's own run path: the guest's <c>jitvirt run</c>
/// arguments (always <c>--deterministic -no-reboot --vm FE</c>) are parsed by <see cref="RunOptions"/> and
/// executed by <see cref="RunSession"/>, with a front-end catalog whose factories put the IL tier
/// (<see cref="TieredExecutor"/>) between the front end and the interpreter the session creates.
/// </summary>
public sealed class GateRunner(GateSettings settings, TextWriter diagnostics)
{
    public GateMeasurement Run(GateGuest guest, string frontEnd, CancellationToken cancellationToken = default)
    {
        string? imagePath = null;
        try
        {
            var args = new List<string> { "--deterministic", "-no-reboot", "--vm", frontEnd, "--timeout", guest.TimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) };
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

        TieredExecutor? tier = null;
        IExecutor Tier(JitVirt.Cpu.Cpu cpu, IExecutor executor) =>
            tier = new TieredExecutor(cpu, (Interpreter)executor, settings.CompileThreshold) { Chaining = settings.Chaining };
        var catalog = new FrontEndCatalog()
            .With("svm", (cpu, executor) => new JitVirt.Svm.SvmFrontEnd(cpu, Tier(cpu, executor)))
            .With("vmx", (cpu, executor) => new JitVirt.Vmx.VmxFrontEnd(cpu, Tier(cpu, executor)));

        using var console = new MemoryStream();
        var session = new RunSession(parsed, options, args, console, diagnostics, catalog);
        var (record, _) = session.Execute(RunSettings.From(parsed, options), cancellationToken);
        if (tier is null) throw new InvalidOperationException($"gate guest {guest.Name}: front end '{frontEnd}' was not built");

        var counters = record.Counters.Concat(TierCounters(tier));
        var (exact, tolerant) = GateCounterKinds.Split(counters, record.Exits);
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

    /// <summary>
    /// The IL tier's own figures. <see cref="RunCounters"/> sees the interpreter the session created (it
    /// reports blocks decoded and invalidated); the tier wrapped around it is known only here.
    /// </summary>
    static IEnumerable<RunCounter> TierCounters(TieredExecutor tier) =>
    [
        new("regionsCompiled", "regions compiled (IL)", tier.BlocksCompiled),
        new("compiledRegionRuns", "compiled region runs", tier.CompiledBlockRuns),
        new("linksMade", "links made between compiled regions", tier.LinksMade),
    ];
}
