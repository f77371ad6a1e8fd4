using JitVirt.Cli;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true; // let the run loop stop and flush the guest's output
    cancel.Cancel();
};
using var stdout = Console.OpenStandardOutput();
// Buffered: --trace can write a line per exit. JitVirtCli flushes it before each run and on every way out.
using var stderr = new StreamWriter(Console.OpenStandardError(), bufferSize: 1 << 16) { AutoFlush = false };
// A live status line only when both streams are a terminal: piped or redirected, stdout is the guest console alone.
bool interactive = !Console.IsOutputRedirected && !Console.IsErrorRedirected;
return JitVirtCli.Run(args, stdout, stderr, cancel.Token, interactive: interactive);
