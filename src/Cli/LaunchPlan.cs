using System.CommandLine;
using JitVirt.Machine.Demo;
using JitVirt.Machine.Loaders;
using JitVirt.Machine.Pc;

namespace JitVirt.Cli;

/// <summary>What a parsed command line asks for: the machine, the image to boot and the time limit.</summary>
public sealed record LaunchPlan(MachineConfig Config, IBootImage Image, TimeSpan? Timeout, bool IsDemo)
{
    /// <summary>Largest -m accepted: RAM stays below the 32-bit PCI hole until high memory is mapped.</summary>
    private const ulong MaximumRam = 0xE000_0000;

    public static LaunchPlan From(ParseResult result, RunOptions options, Stream stdout)
    {
        ulong ram = MemorySize.Parse(result.GetValue(options.Memory)!);
        if (ram < MachineConfig.MinimumRamBytes) throw new UsageException($"-m {result.GetValue(options.Memory)} is too small (at least 2M)");
        if (ram > MaximumRam) throw new UsageException($"-m {result.GetValue(options.Memory)} is too large (at most 3584M for now)");

        string? serialSpec = result.GetValue(options.Serial);
        var serial = serialSpec is not null
            ? SerialSpec.Parse(serialSpec, stdout)
            : result.GetValue(options.NoDefaults) ? OutputTarget.None : SerialSpec.Parse("stdio", stdout);

        var config = new MachineConfig
        {
            RamBytes = ram,
            Serial = serial,
            DebugExit = null, // as in QEMU, only with -device isa-debug-exit
            DebugConsole = result.GetValue(options.E9) ? OutputTarget.ToStream(stdout, flushEachLine: true) : null,
            Deterministic = result.GetValue(options.Deterministic),
            NoReboot = result.GetValue(options.NoReboot),
            CommandLine = result.GetValue(options.Append),
        };
        foreach (string device in result.GetValue(options.Device) ?? []) config = DeviceSpec.Apply(config, device);

        TimeSpan? timeout = null;
        if (result.GetValue(options.Timeout) is { } seconds)
        {
            if (!(seconds > 0) || double.IsInfinity(seconds)) throw new UsageException($"--timeout must be a positive number of seconds (got {seconds})");
            timeout = TimeSpan.FromSeconds(seconds);
        }

        string? kernel = result.GetValue(options.Kernel);
        string? bios = result.GetValue(options.Bios);
        string? initrd = result.GetValue(options.Initrd);
        if (initrd is not null && kernel is null) throw new UsageException("-initrd needs -kernel");
        if (kernel is not null && bios is not null) throw new UsageException("-kernel together with -bios is not supported yet (the kernel is booted directly)");

        if (kernel is not null)
        {
            var kernelFile = ReadImage(kernel, "kernel");
            var initrdFile = initrd is null ? null : ReadImage(initrd, "initrd");
            return new LaunchPlan(config, KernelImages.ForKernel(kernelFile, initrdFile, config.CommandLine ?? ""), timeout, IsDemo: false);
        }
        if (bios is not null) return new LaunchPlan(config, KernelImages.ForBios(ReadImage(bios, "BIOS")), timeout, IsDemo: false);
        // The demo needs isa-debug-exit at its default port to end the run.
        return new LaunchPlan(config with { DebugExit = DebugExitConfig.Default }, DemoGuest.CreateBootImage(), timeout, IsDemo: true);
    }

    /// <summary>Reads a file the user named; a missing, unreadable or empty file is a usage error.</summary>
    private static ImageFile ReadImage(string path, string what)
    {
        if (!File.Exists(path)) throw new UsageException($"{what} file '{path}' not found");
        var file = ImageFile.Read(path);
        if (file.Length == 0) throw new UsageException($"{what} file '{path}' is empty");
        return file;
    }
}
