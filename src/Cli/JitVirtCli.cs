using System.CommandLine;
using JitVirt.Machine.Demo;
using JitVirt.Machine.Loaders;
using JitVirt.Machine.Pc;

namespace JitVirt.Cli;

/// <summary>
/// The <c>jitvirt</c> command line: <c>jitvirt</c> alone boots the demo guest; <c>jitvirt run</c> takes
/// QEMU-style options. Every failure is one line on stderr; nothing escapes as a stack trace.
/// </summary>
public static class JitVirtCli
{
    private const string HelpHint = "try 'jitvirt --help' or 'jitvirt run --help'";

    private static readonly string ExitStatusHelp =
        "Exit status: (v << 1) | 1 when the guest writes v to isa-debug-exit; 0 on ACPI power-off or a reset under -no-reboot; " +
        $"{CliExitCodes.Usage} bad command line or image; {CliExitCodes.HostError} emulator error; {CliExitCodes.Halted} guest halted for good; " +
        $"{CliExitCodes.TripleFault} triple fault under -no-reboot; {CliExitCodes.Timeout} --timeout expired; {CliExitCodes.Cancelled} interrupted.";

    /// <summary>Runs the command line; guest console bytes go to <paramref name="stdout"/>, diagnostics to <paramref name="stderr"/>.</summary>
    public static int Run(string[] args, Stream stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        try
        {
            return Parse(args, stdout, stderr, cancellationToken);
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"jitvirt: {e.Message} ({HelpHint})");
            return CliExitCodes.Usage;
        }
        catch (LoaderException e)
        {
            stderr.WriteLine($"jitvirt: {e.Message}");
            return CliExitCodes.Usage;
        }
        catch (Exception e)
        {
            stderr.WriteLine($"jitvirt: internal error: {e.GetType().Name}: {e.Message}");
            return CliExitCodes.HostError;
        }
        finally
        {
            stderr.Flush();
        }
    }

    private static int Parse(string[] args, Stream stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var root = new RootCommand("JitVirt, an x86-64 PC emulator. Without arguments it boots the built-in demo guest.\n" + ExitStatusHelp);
        var rootOptions = new RunOptions();
        rootOptions.AddTo(root);
        var run = new Command("run", "Boot a guest with QEMU-style options (the demo guest when no -kernel or -bios is given).\n" + ExitStatusHelp);
        var runOptions = new RunOptions();
        runOptions.AddTo(run);
        root.Subcommands.Add(run);
        root.SetAction(result => Execute(result, rootOptions, stdout, stderr, cancellationToken));
        run.SetAction(result => Execute(result, runOptions, stdout, stderr, cancellationToken));

        var parsed = root.Parse(args, new ParserConfiguration { EnablePosixBundling = false });
        if (parsed.Errors.Count > 0) throw new UsageException(parsed.Errors[0].Message);
        using var helpWriter = new StreamWriter(stdout, leaveOpen: true) { AutoFlush = true };
        return parsed.Invoke(new InvocationConfiguration { Output = helpWriter, Error = stderr, EnableDefaultExceptionHandler = false });
    }

    private static int Execute(ParseResult result, RunOptions options, Stream stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var launch = LaunchPlan.From(result, options, stdout);
        using var machine = new PcMachine(launch.Config);
        machine.Boot(launch.Image);
        var outcome = machine.Run(cancellationToken, launch.Timeout);
        Report(outcome, launch, stderr);
        return ExitCodeOf(outcome);
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
                stderr.WriteLine($"jitvirt: host error: {result.Message}");
                return;
            default:
                stderr.WriteLine($"jitvirt: {what} stopped: {result}");
                return;
        }
    }
}
