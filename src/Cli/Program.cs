using JitVirt.Cli;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true; // let the run loop stop and flush the guest's output
    cancel.Cancel();
};
using var stdout = Console.OpenStandardOutput();
return JitVirtCli.Run(args, stdout, Console.Error, cancel.Token);
