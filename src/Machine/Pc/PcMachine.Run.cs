using System.Diagnostics;
using JitVirt.Cpu;
using JitVirt.Cpu.Execution;

namespace JitVirt.Machine.Pc;

/// <summary>
/// The run loop: execute guest code in slices that end at the next timer deadline, fire due timers, and
/// while the processor is halted wait for (host time) or jump to (deterministic time) the next deadline.
/// </summary>
public sealed partial class PcMachine
{
    /// <summary>Longest deterministic slice: bounds how late a cancellation or timeout is noticed.</summary>
    private const long MaxDeterministicSlice = 1_000_000;
    /// <summary>Host-time slice: about a few hundred microseconds of interpretation, so timers fire close to time.</summary>
    private const long HostSlice = 20_000;
    /// <summary>Below this a host-time wait spins instead of sleeping (sleep granularity is around 1 ms).</summary>
    private static readonly long SpinThresholdNanoseconds = 2_000_000;

    /// <summary>
    /// Runs the guest until it exits (isa-debug-exit, ACPI power-off, a reset or triple fault with
    /// <see cref="MachineConfig.NoReboot"/>), halts for good, <paramref name="timeout"/> of wall time passes,
    /// or <paramref name="cancellationToken"/> fires. Never throws for guest behaviour; host failures come
    /// back as <see cref="RunOutcome.HostError"/>. Guest output is flushed on every way out.
    /// </summary>
    public RunResult Run(CancellationToken cancellationToken = default, TimeSpan? timeout = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var wall = Stopwatch.StartNew();
        long startInstructions = Cpu.InstructionsRetired;
        RunOutcome outcome;
        string? message = null;
        using var watchdog = StartWatchdog(cancellationToken, timeout, wall);
        try
        {
            outcome = RunLoop(cancellationToken, timeout, wall);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            outcome = RunOutcome.HostError;
            message = $"{e.GetType().Name}: {e.Message} at RIP 0x{Cpu.Rip:X}";
        }
        finally
        {
            FlushOutputs();
        }
        int status = outcome == RunOutcome.DebugExit ? _exitStatus : 0;
        if (outcome == RunOutcome.Halted) message = Cpu.InterruptFlag ? "no interrupt source is armed" : "interrupts are disabled";
        _stop = MachineStop.None;
        return new RunResult(outcome, status, Cpu.InstructionsRetired - startInstructions, wall.Elapsed, message);
    }

    private RunOutcome RunLoop(CancellationToken cancellationToken, TimeSpan? timeout, Stopwatch wall)
    {
        long timeoutTicks = timeout is { } t ? (long)(t.TotalSeconds * Stopwatch.Frequency) : long.MaxValue;
        while (true)
        {
            if (cancellationToken.IsCancellationRequested) return RunOutcome.Cancelled;
            if (wall.ElapsedTicks >= timeoutTicks) return RunOutcome.Timeout;

            long now = Clock.NowNanoseconds;
            Timers.RunDue(now);
            // Timer callbacks raise IRQs outside any instruction, and an IRET or EOI may have left a lower
            // priority request behind: have the processor look at its interrupt inputs before the slice.
            Cpu.Pending |= PendingEvent.InterruptCheck;

            Cpu.Activity = ExecutionActivity.Interpreter; // the executor refines it (ExecutionActivity)
            var exit = Vcpu.Run(SliceBudget(now));
            Cpu.Activity = ExecutionActivity.Machine;

            if (_stop != MachineStop.None)
            {
                var stop = _stop;
                switch (stop)
                {
                    case MachineStop.DebugExit: return RunOutcome.DebugExit;
                    case MachineStop.PowerOff: return RunOutcome.PowerOff;
                }
                _stop = MachineStop.None;
                if (Config.NoReboot) return RunOutcome.Reset;
                Reboot(tripleFault: false);
                continue;
            }
            switch (exit)
            {
                case VcpuExit.Shutdown:
                    if (Config.NoReboot) return RunOutcome.Shutdown;
                    Reboot(tripleFault: true);
                    break;
                case VcpuExit.Halted:
                    Cpu.Activity = ExecutionActivity.Idle;
                    bool woken = WaitWhileHalted(cancellationToken, timeoutTicks, wall);
                    Cpu.Activity = ExecutionActivity.Machine;
                    if (!woken) return RunOutcome.Halted;
                    break;
            }
        }
    }

    /// <summary>Instructions until the next timer deadline (one instruction per virtual nanosecond at most).</summary>
    private long SliceBudget(long now)
    {
        long deadline = Timers.NextDeadline;
        long cap = _instructionClock is null ? HostSlice : MaxDeterministicSlice;
        if (deadline == long.MaxValue) return cap;
        long untilDeadline = (deadline - now) / InstructionClock.NanosecondsPerInstruction;
        return Math.Clamp(untilDeadline, 1, cap);
    }

    /// <summary>
    /// HLT with nothing deliverable: advance to the next timer deadline. Returns false when nothing can
    /// ever wake the processor (interrupts disabled and no NMI, or no timer armed).
    /// </summary>
    private bool WaitWhileHalted(CancellationToken cancellationToken, long timeoutTicks, Stopwatch wall)
    {
        if (Interrupts.HasPendingNmi || (Cpu.InterruptFlag && Interrupts.HasPendingInterrupt)) return true;
        long deadline = Timers.NextDeadline;
        if (!Cpu.InterruptFlag || deadline == long.MaxValue) return false;
        if (_instructionClock is not null)
        {
            _instructionClock.SkipTo(deadline);
            return true;
        }
        while (true)
        {
            long remaining = deadline - Clock.NowNanoseconds;
            if (remaining <= 0 || cancellationToken.IsCancellationRequested || wall.ElapsedTicks >= timeoutTicks) return true;
            if (remaining > SpinThresholdNanoseconds)
            {
                long sleepMs = (remaining - SpinThresholdNanoseconds / 2) / 1_000_000;
                long timeoutLeftMs = timeoutTicks == long.MaxValue ? long.MaxValue : (timeoutTicks - wall.ElapsedTicks) * 1000 / Stopwatch.Frequency;
                cancellationToken.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(Math.Max(1, Math.Min(sleepMs, timeoutLeftMs))));
            }
            else
            {
                Thread.SpinWait(64);
            }
        }
    }

    /// <summary>Period of the watchdog that enforces timeouts and cancellation.</summary>
    private static readonly TimeSpan WatchdogPeriod = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// The interpreter's budget counts retired instructions, so a guest that faults on every instruction
    /// (a #UD or #PF loop) never uses it up and the slice never ends. Once the timeout has passed or the
    /// token fired, a host thread asks the vCPU to return, and keeps asking until the loop has seen it: the
    /// request is a plain read-modify-write of <see cref="JitVirt.Cpu.Cpu.Pending"/> that can race with the
    /// vCPU thread, harmless here because the run is ending anyway.
    /// </summary>
    private Timer? StartWatchdog(CancellationToken cancellationToken, TimeSpan? timeout, Stopwatch wall)
    {
        if (timeout is null && !cancellationToken.CanBeCanceled) return null;
        return new Timer(_ =>
        {
            if (cancellationToken.IsCancellationRequested || (timeout is { } t && wall.Elapsed >= t)) Cpu.RequestExit();
        }, null, WatchdogPeriod, WatchdogPeriod);
    }

    /// <summary>
    /// Told on the run thread just before a reboot resets the machine (the guest asked for a reset, or with
    /// true a triple fault shut the processor down), while the processor still holds the state it stopped
    /// in: for QEMU-style <c>-d cpu_reset</c> logs. Null by default.
    /// </summary>
    public Action<bool>? Rebooting { get; set; }

    private void Reboot(bool tripleFault)
    {
        Rebooting?.Invoke(tripleFault);
        ResetCount++;
        Reset();
    }
}
