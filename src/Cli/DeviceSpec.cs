using System.Globalization;
using JitVirt.Machine.Pc;

namespace JitVirt.Cli;

/// <summary>Applies one QEMU-style <c>-device DRIVER[,prop=value...]</c> to a machine configuration.</summary>
public static class DeviceSpec
{
    public static MachineConfig Apply(MachineConfig config, string spec)
    {
        string[] parts = spec.Split(',', StringSplitOptions.TrimEntries);
        string driver = parts[0];
        var properties = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string part in parts.AsSpan(1))
        {
            int eq = part.IndexOf('=');
            if (eq <= 0) throw new UsageException($"-device {driver}: malformed property '{part}' (expected name=value)");
            properties[part[..eq]] = part[(eq + 1)..];
        }
        switch (driver)
        {
            case "isa-debug-exit":
                var defaults = DebugExitConfig.Default;
                ushort ioBase = (ushort)Number(driver, properties, "iobase", defaults.IoBase, 0xFFFF);
                int ioSize = (int)Number(driver, properties, "iosize", (ulong)defaults.IoSize, 0x10000 - ioBase);
                if (ioSize == 0) throw new UsageException("-device isa-debug-exit: iosize must be at least 1");
                RejectUnknown(driver, properties, "iobase", "iosize");
                return config with { DebugExit = new DebugExitConfig(ioBase, ioSize) };
            case "pc-testdev":
                RejectUnknown(driver, properties);
                return config with { PcTestDev = true };
            case "pci-testdev":
                RejectUnknown(driver, properties);
                return config with { PciTestDev = true };
            default:
                throw new UsageException($"unknown device '{driver}' (supported: isa-debug-exit, pc-testdev, pci-testdev)");
        }
    }

    private static ulong Number(string driver, Dictionary<string, string> properties, string name, ulong fallback, int max)
    {
        if (!properties.TryGetValue(name, out string? text)) return fallback;
        bool hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        if (!ulong.TryParse(hex ? text[2..] : text, hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None, CultureInfo.InvariantCulture, out ulong value) || value > (ulong)max)
            throw new UsageException($"-device {driver}: invalid {name} '{text}'");
        return value;
    }

    private static void RejectUnknown(string driver, Dictionary<string, string> properties, params string[] known)
    {
        foreach (string name in properties.Keys)
        {
            if (Array.IndexOf(known, name) < 0) throw new UsageException($"-device {driver}: unknown property '{name}'");
        }
    }
}
