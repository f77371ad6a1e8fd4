using System.Text;
using JitVirt.Machine.Loaders;
using JitVirt.Machine.Pc;

namespace JitVirt.LinuxBoot.Tests;

/// <summary>One boot of the cached Linux guest on a JitVirt PC: how it ended and what the console showed.</summary>
public sealed record JitVirtBoot(RunResult Result, string Console)
{
    /// <summary>RAM of every boot, as QEMU's -m 256M.</summary>
    public const ulong RamBytes = 256ul << 20;
    public const string QemuRamSize = "256M";

    /// <summary>Wall-time limit per boot: far above the few minutes a loaded CI host needs.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Boots the guest with <paramref name="commandLine"/> on a deterministic machine (virtual time from
    /// retired instructions, so the boot does not depend on the host's load; host time when
    /// <see cref="LinuxGuest.HostTimeVariable"/> is 1) that ends at a reset.
    /// <paramref name="vcpuFactory"/> hosts the CPU under a front end; null keeps the machine's own vCPU.
    /// </summary>
    public static JitVirtBoot Run(string commandLine, Func<JitVirt.Cpu.Cpu, IVcpu>? vcpuFactory = null)
    {
        using var serial = new MemoryStream();
        var config = new MachineConfig
        {
            RamBytes = RamBytes,
            Serial = OutputTarget.ToStream(serial),
            DebugExit = null,
            NoReboot = true,
            Deterministic = !LinuxGuest.HostTime,
            CommandLine = commandLine,
        };
        RunResult result;
        using (var machine = new PcMachine(config, vcpuFactory))
        {
            machine.Boot(KernelImages.ForKernel(ImageFile.Read(LinuxGuest.KernelPath), ImageFile.Read(LinuxGuest.InitrdPath), commandLine));
            result = machine.Run(timeout: Timeout);
        }
        return new JitVirtBoot(result, Encoding.Latin1.GetString(serial.ToArray()));
    }

    /// <summary>A failure message: the outcome and the last console lines, which say how far the kernel got.</summary>
    public string Describe(string problem)
    {
        var lines = Console.Split('\n');
        string tail = string.Join('\n', lines.Skip(Math.Max(0, lines.Length - 25)));
        return $"{problem}: {Result} in {Result.WallTime.TotalSeconds:F0} s; console ends with:\n{tail}";
    }
}
