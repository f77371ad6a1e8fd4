using JitVirt.Machine.Pc;

namespace JitVirt.Cli.Logging;

/// <summary>
/// The QEMU-style log of one run: the <c>-d</c> items asked for, written to <c>-D FILE</c> or, as QEMU
/// does without -D, to stderr. <see cref="Attach"/> hooks the items into the machine before it boots
/// (the delivery observer, the port wrapper, the reboot callback); <see cref="RunEnded"/> writes what
/// belongs to the end of the run (a triple fault under -no-reboot and its dump). The reset at power-on
/// is not logged (QEMU dumps that one too).
/// </summary>
public sealed class QemuLog : IDisposable
{
    private readonly QemuLogItems _items;
    private readonly Stream? _file;
    private GuestErrorLog? _guestErrors;

    private QemuLog(QemuLogItems items, TextWriter writer, Stream? file)
    {
        _items = items;
        Writer = writer;
        _file = file;
    }

    public TextWriter Writer { get; }

    public static QemuLog Open(QemuLogItems items, string? path, TextWriter stderr)
    {
        if (path is null) return new QemuLog(items, stderr, null);
        var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read);
        return new QemuLog(items, new StreamWriter(file) { AutoFlush = false }, file);
    }

    /// <summary>True when log lines share stderr (the live status line would tear them).</summary>
    public bool OnStderr => _file is null && _items != QemuLogItems.None;

    public void Attach(PcMachine machine)
    {
        var cpu = machine.Cpu;
        if ((_items & (QemuLogItems.CpuReset | QemuLogItems.GuestErrors)) != 0)
            machine.Rebooting += tripleFault => LogReset(machine, tripleFault);
        if ((_items & QemuLogItems.Interrupts) != 0) cpu.DeliveryObserver += new InterruptLog(Writer).OnDelivering;
        if ((_items & QemuLogItems.GuestErrors) != 0)
        {
            _guestErrors = new GuestErrorLog(Writer);
            cpu.DeliveryObserver += _guestErrors.OnDelivering;
            cpu.Io = new UnassignedPortLog(cpu.Io, machine.Ports, Writer);
        }
    }

    public void RunEnded(PcMachine machine, RunResult result)
    {
        _guestErrors?.ReportUnimplemented(machine.Cpu);
        // Under -no-reboot a triple fault ends the run instead of resetting: log it as the reset it would have been.
        if (result.Outcome == RunOutcome.Shutdown) LogReset(machine, tripleFault: true);
        Writer.Flush();
    }

    /// <summary>
    /// A reset of the machine, or a triple fault: QEMU writes "Triple fault" under cpu_reset (check_exception;
    /// JitVirt also counts it a guest error), then "CPU Reset" and the registers the processor had.
    /// </summary>
    private void LogReset(PcMachine machine, bool tripleFault)
    {
        _guestErrors?.ReportUnimplemented(machine.Cpu);
        if (tripleFault) Writer.Write("Triple fault\n");
        if ((_items & QemuLogItems.CpuReset) != 0) Writer.Write(CpuResetDump.Format(machine.Cpu));
    }

    public void Dispose()
    {
        Writer.Flush();
        if (_file is not null) Writer.Dispose();
    }
}
