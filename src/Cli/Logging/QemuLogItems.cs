namespace JitVirt.Cli.Logging;

/// <summary>The QEMU <c>-d</c> log items JitVirt writes (names as in QEMU's util/log.c).</summary>
[Flags]
public enum QemuLogItems
{
    None = 0,
    /// <summary><c>int</c>: every interrupt and exception delivered in protected mode, QEMU's do_interrupt_all line and register dump.</summary>
    Interrupts = 1 << 0,
    /// <summary><c>cpu_reset</c>: the registers at each reboot and when a triple fault ends a -no-reboot run, a triple fault announced by "Triple fault".</summary>
    CpuReset = 1 << 1,
    /// <summary><c>guest_errors</c>: accesses to unassigned I/O ports, unimplemented instructions (#UD), triple faults.</summary>
    GuestErrors = 1 << 2,
}

/// <summary>Parses <c>-d ITEMS</c>: a comma-separated list of the items above.</summary>
public static class QemuLogItemList
{
    private static readonly (string Name, QemuLogItems Item)[] Names =
    [
        ("int", QemuLogItems.Interrupts),
        ("cpu_reset", QemuLogItems.CpuReset),
        ("guest_errors", QemuLogItems.GuestErrors),
    ];

    public static string Known => string.Join(", ", Names.Select(n => n.Name));

    public static QemuLogItems Parse(string? text)
    {
        if (text is null) return QemuLogItems.None;
        var items = QemuLogItems.None;
        foreach (string name in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var match = Array.Find(Names, n => n.Name == name);
            if (match.Name is null) throw new UsageException($"-d: unsupported log item '{name}' (supported: {Known})");
            items |= match.Item;
        }
        if (items == QemuLogItems.None) throw new UsageException($"-d needs a log item (supported: {Known})");
        return items;
    }
}
