using System.CommandLine;
using JitVirt.Cli.Reports;
using JitVirt.Machine.Demo;
using JitVirt.Machine.Loaders;
using JitVirt.Machine.Pc;

namespace JitVirt.Cli;

/// <summary>
/// The <c>jitvirt</c> command line: <c>jitvirt</c> alone boots the demo guest; <c>jitvirt run</c> takes
/// QEMU-style options; <c>jitvirt compare</c> runs one guest under SVM and under VMX and lines their exit
/// profiles up. The guest console is the only thing on stdout; every diagnostic, report and trace goes to
/// stderr, and every failure is one line there: nothing escapes as a stack trace.
/// </summary>
public static class JitVirtCli
{
    private const string HelpHint = "try 'jitvirt --help' or 'jitvirt run --help'";

    private static readonly string ExitStatusHelp =
        "Exit status: (v << 1) | 1 when the guest writes v to isa-debug-exit; 0 on ACPI power-off, a reset under -no-reboot, or the --until marker; " +
        $"{CliExitCodes.Usage} bad command line or image; {CliExitCodes.HostError} emulator error; {CliExitCodes.Halted} guest halted for good; " +
        $"{CliExitCodes.TripleFault} triple fault under -no-reboot; {CliExitCodes.CompareMismatch} compare: the two front ends ended differently; " +
        $"{CliExitCodes.Timeout} --timeout expired; {CliExitCodes.Cancelled} interrupted.";

    /// <summary>Runs the command line; guest console bytes go to <paramref name="stdout"/>, diagnostics to <paramref name="stderr"/>.</summary>
    public static int Run(string[] args, Stream stdout, TextWriter stderr, CancellationToken cancellationToken = default, FrontEndCatalog? catalog = null, bool interactive = false)
    {
        try
        {
            return Parse(args, stdout, stderr, cancellationToken, catalog ?? FrontEndCatalog.Builtin, interactive);
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"jitvirt: {e.Message} ({HelpHint})");
            return CliExitCodes.Usage;
        }
        catch (LoaderException e)
        {
            stderr.WriteLine($"jitvirt: {OneLine(e.Message)} ({HelpHint})");
            return CliExitCodes.Usage;
        }
        catch (Exception e)
        {
            stderr.WriteLine($"jitvirt: internal error: {e.GetType().Name}: {OneLine(e.Message)}");
            return CliExitCodes.HostError;
        }
        finally
        {
            stderr.Flush();
        }
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");

    private static int Parse(string[] args, Stream stdout, TextWriter stderr, CancellationToken cancellationToken, FrontEndCatalog catalog, bool interactive)
    {
        var root = new RootCommand("JitVirt, an x86-64 PC emulator. Without arguments it boots the built-in demo guest.\n" + ExitStatusHelp);
        var rootOptions = new RunOptions();
        rootOptions.AddTo(root);
        var run = new Command("run", "Boot a guest with QEMU-style options (the demo guest when no -kernel or -bios is given).\n" + ExitStatusHelp);
        var runOptions = new RunOptions();
        runOptions.AddTo(run);
        var compare = new Command("compare", "Run the same guest under SVM and under VMX and print the two exit profiles side by side, by category. " +
            "The guest console is dropped unless -serial is given.\n" + ExitStatusHelp);
        var compareOptions = new RunOptions();
        compareOptions.AddTo(compare);
        root.Subcommands.Add(run);
        root.Subcommands.Add(compare);
        root.Subcommands.Add(Bench.BenchCommands.Create(stdout, stderr, cancellationToken));
        root.SetAction(result => ExecuteRun(result, rootOptions, args, stdout, stderr, catalog, interactive, cancellationToken));
        run.SetAction(result => ExecuteRun(result, runOptions, args, stdout, stderr, catalog, interactive, cancellationToken));
        compare.SetAction(result => ExecuteCompare(result, compareOptions, args, stdout, stderr, catalog, cancellationToken));

        var parsed = root.Parse(args, new ParserConfiguration { EnablePosixBundling = false });
        if (parsed.Errors.Count > 0) throw new UsageException(OneLine(parsed.Errors[0].Message));
        using var helpWriter = new StreamWriter(stdout, leaveOpen: true) { AutoFlush = true };
        return parsed.Invoke(new InvocationConfiguration { Output = helpWriter, Error = stderr, EnableDefaultExceptionHandler = false });
    }

    private static int ExecuteRun(ParseResult result, RunOptions options, string[] args, Stream stdout, TextWriter stderr, FrontEndCatalog catalog, bool interactive, CancellationToken cancellationToken)
    {
        var settings = RunSettings.From(result, options);
        var session = new RunSession(result, options, args, stdout, stderr, catalog) { Interactive = interactive };
        var (record, status) = session.Execute(settings, cancellationToken);
        Report(session.Outcome!, session.Launch!, stderr);
        if (settings.Stats)
        {
            stderr.Write(PerfKvmStatReport.Format(record.Exits));
            stderr.Write(CounterReport.Format(record.Counters));
            if (record.TimeSplit is { } split) stderr.Write(TimeSplitReport.Format(split));
        }
        if (settings.JsonPath is { } json) RunJson.WriteAtomically(json, record);
        return status;
    }

    private static int ExecuteCompare(ParseResult result, RunOptions options, string[] args, Stream stdout, TextWriter stderr, FrontEndCatalog catalog, CancellationToken cancellationToken)
    {
        var settings = RunSettings.From(result, options);
        if (settings.VmGiven) throw new UsageException("compare runs both front ends; drop --vm");
        if (settings.JsonPath is not null || settings.Stats) throw new UsageException("compare prints its own table; use 'jitvirt run --vm ... --stats/--json' for one front end");
        string[] names = ["svm", "vmx"];
        foreach (string name in names)
        {
            if (catalog.Resolve(name) is null)
            {
                stderr.WriteLine($"jitvirt: compare: front end '{name}' is not built into this jitvirt yet");
                return CliExitCodes.HostError;
            }
        }
        var records = new RunRecord[names.Length];
        for (int i = 0; i < names.Length; i++)
        {
            var session = new RunSession(result, options, args, stdout, stderr, catalog) { VmOverride = names[i], DropConsoleUnlessSerialGiven = true };
            (records[i], _) = session.Execute(settings, cancellationToken);
            stderr.WriteLine($"jitvirt: {names[i]}: {session.Outcome} (exit status {records[i].End.ExitStatus})");
        }
        using (var writer = new StreamWriter(stdout, leaveOpen: true))
            writer.Write(ExitProfileComparison.Format(names[0], records[0].Exits, names[1], records[1].Exits));
        stdout.Flush();
        var (a, b) = (records[0].End, records[1].End);
        if (a.Kind != b.Kind || a.ExitStatus != b.ExitStatus)
        {
            stderr.WriteLine($"jitvirt: compare: {names[0]} ended with {a.Kind} (status {a.ExitStatus}), {names[1]} with {b.Kind} (status {b.ExitStatus})");
            return CliExitCodes.CompareMismatch;
        }
        return a.ExitStatus;
    }

    /// <summary>The process exit status for a run (see <see cref="CliExitCodes"/>).</summary>
    public static int ExitCodeOf(RunResult result) => result.Outcome switch
    {
        RunOutcome.DebugExit => result.ExitStatus,
        RunOutcome.PowerOff or RunOutcome.Reset => CliExitCodes.Success,
        RunOutcome.Shutdown => CliExitCodes.TripleFault,
        RunOutcome.Halted => CliExitCodes.Halted,
        RunOutcome.Timeout => CliExitCodes.Timeout,
        RunOutcome.Cancelled => CliExitCodes.Cancelled,
        _ => CliExitCodes.HostError,
    };

    private static void Report(RunResult result, LaunchPlan launch, TextWriter stderr)
    {
        string what = launch.IsDemo ? "demo guest" : "guest";
        switch (result.Outcome)
        {
            case RunOutcome.DebugExit when !launch.IsDemo:
            case RunOutcome.PowerOff when !launch.IsDemo:
            case RunOutcome.Reset when !launch.IsDemo:
                return; // ordinary ends of a test run: the exit status says it all
            case RunOutcome.DebugExit when result.ExitStatus == ((DemoGuest.SuccessValue << 1) | 1):
                stderr.WriteLine($"jitvirt: {what} passed: {result.InstructionsRetired} instructions in {result.WallTime.TotalMilliseconds:F0} ms");
                return;
            case RunOutcome.HostError:
                stderr.WriteLine($"jitvirt: host error: {OneLine(result.Message ?? "")}");
                return;
            default:
                stderr.WriteLine($"jitvirt: {what} stopped: {OneLine(result.ToString())}");
                return;
        }
    }
}
