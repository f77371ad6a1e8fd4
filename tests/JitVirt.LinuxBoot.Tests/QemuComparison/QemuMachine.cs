using System.Diagnostics;

namespace JitVirt.LinuxBoot.Tests.QemuComparison;

/// <summary>
/// QEMU TCG as the reference for the console comparison. The kernel, initrd, RAM size and command line are
/// the ones JitVirt boots; the machine options below choose, among QEMU's own models, the hardware closest
/// to what JitVirt emulates, each with the reason. What still differs is in <see cref="ConsoleFilters"/>.
/// </summary>
public static class QemuMachine
{
    public const string ExecutableVariable = "JITVIRT_QEMU";
    public const string DefaultExecutable = "/usr/bin/qemu-system-x86_64";

    /// <summary>Wall-time limit for one QEMU boot: it takes 10-30 s, minutes on a loaded host.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    public static string Executable =>
        Environment.GetEnvironmentVariable(ExecutableVariable) is { Length: > 0 } path ? path : DefaultExecutable;

    public static bool IsPresent => File.Exists(Executable);

    public static string MissingMessage =>
        $"QEMU not found at {Executable} (install Debian's qemu-system-x86, or set {ExecutableVariable})";

    /// <summary>The arguments of one reference boot.</summary>
    public static IReadOnlyList<string> Arguments(string kernel, string initrd, string commandLine, string ramSize) =>
    [
        "-accel", "tcg",
        "-nographic",
        "-no-reboot",
        "-m", ramSize,
        // JitVirt's CPUID model is a family 6, model 15 (0xF) Core 2 (src/Cpu/Platform/CpuidModel.cs); QEMU's
        // core2duo is the same family and model, so vendor- and model-keyed kernel paths (PTI, the AMD GART
        // aperture probe, intel_pstate, the p6 PMU, the speculative-execution bug table) take the same branch.
        // hypervisor=off: CPUID.1:ECX[31] is 0 on a physical CPU (SDM vol.2 Table 3-10, "Not Used") and in
        // JitVirt's model; with it set Linux skips the microcode driver and assumes ITS-vulnerable hardware.
        "-cpu", "core2duo,hypervisor=off",
        // No HPET: JitVirt has none (Linux calibrates the TSC on the PIT there). This is a gap of JitVirt, not a
        // legitimate difference; it is listed as missing in docs/decisions/0009-linux-boot-benchmark.md.
        "-machine", "pc,hpet=off",
        // No default VGA, NIC, parallel port or floppy drive: JitVirt has no display, network or parallel
        // adapter and no disk (it boots -kernel/-initrd); COM1 is the console on both.
        "-nodefaults",
        "-serial", "stdio",
        "-kernel", kernel,
        "-initrd", initrd,
        "-append", commandLine,
    ];

    /// <summary>Boots QEMU and returns everything it wrote on the console; throws if it does not end in time.</summary>
    public static string Boot(string kernel, string initrd, string commandLine, string ramSize)
    {
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in Arguments(kernel, initrd, commandLine, ramSize)) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Executable}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"QEMU did not finish within {Timeout.TotalMinutes} min");
        }
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"QEMU exited with status {process.ExitCode}: {stderr.Result}");
        return stdout.Result;
    }
}
