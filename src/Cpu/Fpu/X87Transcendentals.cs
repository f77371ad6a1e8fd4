namespace JitVirt.Cpu.Fpu;

/// <summary>
/// Where FSIN, FCOS, FSINCOS, FPTAN, FPATAN, F2XM1, FYL2X and FYL2XP1 are computed (decision 0014).
/// On an x86-64 host they run on the host's x87 (<see cref="HostX87"/>), so results, C1 and flags
/// are the host vendor's, bit for bit. Elsewhere, or with <see cref="SoftwareVariable"/>=1 in the
/// environment, or with <see cref="UseHost"/> set false, the portable
/// <see cref="ExtendedTranscendentals"/> compute them (correctly rounded; within one ulp of the
/// hardware, the same on every host).
/// </summary>
public static class X87Transcendentals
{
    /// <summary>Environment variable that selects the portable path when set to 1 (reproducible results across hosts).</summary>
    public const string SoftwareVariable = "JITVIRT_X87_SOFTWARE";

    static bool _useHost = HostX87.IsSupported && System.Environment.GetEnvironmentVariable(SoftwareVariable) != "1";

    /// <summary>True when the host x87 computes the transcendentals. Setting it true has no effect on a host without <see cref="HostX87"/>.</summary>
    public static bool UseHost
    {
        get => _useHost;
        set => _useHost = value && HostX87.IsSupported;
    }
}
