namespace JitVirt.Cli;

/// <summary>
/// Process exit statuses of <c>jitvirt</c>. A guest's isa-debug-exit write of v exits with (v &lt;&lt; 1) | 1,
/// as QEMU does, which is always odd; every status the runner itself chooses is even, so the two never collide.
/// </summary>
public static class CliExitCodes
{
    /// <summary>ACPI power-off, a reset under -no-reboot (QEMU exits 0 for both), or the --until marker seen.</summary>
    public const int Success = 0;
    /// <summary>Bad command line or input: unknown option, missing or unreadable image, bad size.</summary>
    public const int Usage = 2;
    /// <summary>The emulator failed (a bug or an unsupported guest action); the message is on stderr.</summary>
    public const int HostError = 112;
    /// <summary>The guest halted with nothing that could ever wake it.</summary>
    public const int Halted = 114;
    /// <summary>Triple fault under -no-reboot.</summary>
    public const int TripleFault = 116;
    /// <summary>jitvirt compare: the two front ends ended the run differently (outcome or status).</summary>
    public const int CompareMismatch = 118;
    /// <summary>--timeout expired (the coreutils timeout(1) convention).</summary>
    public const int Timeout = 124;
    /// <summary>Interrupted (Ctrl+C): 128 + SIGINT.</summary>
    public const int Cancelled = 130;
}
