namespace JitVirt.Cli;

/// <summary>Bad input from the user: reported as one line on stderr with a --help hint, exit status 2.</summary>
public sealed class UsageException(string message) : Exception(message);
