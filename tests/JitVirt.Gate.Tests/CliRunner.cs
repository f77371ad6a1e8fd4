using System.Text;
using JitVirt.Cli;

namespace JitVirt.Gate.Tests;

/// <summary>Runs the real <c>jitvirt</c> command line in-process with captured output.</summary>
public static class CliRunner
{
    public sealed record Result(int Status, string Stdout, string Stderr)
    {
        public override string ToString() => $"status {Status}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
    }

    public static Result Run(params string[] args)
    {
        using var stdout = new MemoryStream();
        using var stderr = new StringWriter();
        int status = JitVirtCli.Run(args, stdout, stderr);
        return new Result(status, Encoding.UTF8.GetString(stdout.ToArray()), stderr.ToString());
    }

    /// <summary>A scratch file path in the temp folder; the caller deletes it.</summary>
    public static string TempPath(string extension) => Path.Combine(Path.GetTempPath(), $"jitvirt-gate-test-{Guid.NewGuid():N}{extension}");
}
