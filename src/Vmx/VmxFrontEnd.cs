using System.Runtime.CompilerServices;
using Iced.Intel;
using JitVirt.Cpu;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Virtualization;
using JitVirt.Virtualization;

namespace JitVirt.Vmx;

/// <summary>
/// JitVirt's Intel VMX front end: the VMM of Linux 2.6.20's <c>vmx.c</c> (vcpu setup, the exit
/// handler table, interrupt injection, the virtual-8086 real mode) running over
/// <see cref="VmxHardware"/>, JitVirt's model of VT-x. The VMM reaches the VMCS only through
/// VMREAD/VMWRITE by field encoding; RAX and the other GPRs, CR2 and DR0–DR6 it keeps itself in the
/// Cpu (as KVM's entry stub kept them in <c>vcpu-&gt;regs</c>). Exits are in-place calls: the exit
/// stub's call returns after the handler and the next VM entry.
/// </summary>
public sealed partial class VmxFrontEnd : IFrontEnd, IInterceptController, IVmxHost
{
    readonly JitVirt.Cpu.Cpu _cpu;
    readonly IExecutor _executor;
    readonly VmxHardware _hw;
    readonly PendingInterrupts _pending = new();

    public string Name => "vmx";
    public ExitStatistics Exits { get; } = new(VmxExitHandlers.Kinds);

    /// <summary>The processor model (tests inspect the VMCS through it with VMREAD).</summary>
    public VmxHardware Hardware => _hw;

    /// <summary>The VMM's pending-IRQ bitmap (2.6.20's <c>irq_pending</c>).</summary>
    public PendingInterrupts PendingInterrupts => _pending;

    /// <summary>
    /// Run the guest with VPID (secondary control "enable VPID", SDM vol.3C §29.1), which 2.6.20 did
    /// not have: without it every VM entry flushes the guest's translations. Takes effect at <see cref="Reset"/>.
    /// </summary>
    public bool UseVpid { get; set; }

    /// <summary>The VPID this vCPU's guest runs with when <see cref="UseVpid"/> (1…FFFF; 0 is the host's).</summary>
    public ushort Vpid { get; set; } = 1;

    public VmxFrontEnd(JitVirt.Cpu.Cpu cpu, IExecutor executor)
    {
        _cpu = cpu;
        _executor = executor;
        _hw = new VmxHardware(cpu, new HostMemory());
        _hw.SetHost(this);
        CreateRealModeDecoder();
    }

    // ------------------------------------------------------------------ VMCS access (VMREAD/VMWRITE only)

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    ulong Read(uint field)
    {
        var status = _hw.Vmread(field, out ulong value);
        System.Diagnostics.Debug.Assert(status == VmxStatus.Succeed);
        return value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void Write(uint field, ulong value)
    {
        var status = _hw.Vmwrite(field, value);
        System.Diagnostics.Debug.Assert(status == VmxStatus.Succeed);
    }

    // ------------------------------------------------------------------ KVM_RUN

    /// <summary>Called at every VM exit before the handler runs, with the exit fields as VMREAD returns them (tracing and tests).</summary>
    public Action<VmxExitRecord>? ExitObserved { get; set; }

    /// <summary>Why the VMM went to "userspace" (null while it keeps the guest running).</summary>
    StopReason? _stop;

    /// <summary>QEMU's "halted" flag: HLT went to the machine with nothing to inject; entering again waits for an interrupt.</summary>
    bool _halted;

    bool _launched;

    int _nestedExits;
    const int MaxNestedExits = 64;

    public StopReason Run(long instructionBudget)
    {
        var cpu = _cpu;
        _stop = null;
        if (_halted)
        {
            if (!CanWake()) return StopReason.Halted;
            _halted = false;
        }
        long end = cpu.InstructionsRetired + instructionBudget;
        if (!EnterGuest())
        {
            cpu.Pending &= ~PendingEvent.ExitRequested;
            return _stop ?? StopReason.Shutdown;
        }
        while (true)
        {
            if (_stop is { } early) return early;
            long left = end - cpu.InstructionsRetired;
            if (left <= 0) { _hw.PreemptionExit(); return StopReason.BudgetExhausted; }
            var reason = _executor.Run(left);
            if (_stop is { } stop) return stop;
            switch (reason)
            {
                case StopReason.Shutdown:
                    cpu.Pending &= ~PendingEvent.Shutdown;
                    _hw.TripleFaultExit();
                    cpu.Pending &= ~PendingEvent.ExitRequested;
                    return _stop ?? StopReason.Shutdown;
                case StopReason.BudgetExhausted:
                    _hw.PreemptionExit();
                    return StopReason.BudgetExhausted;
                case StopReason.Halted:
                    // HLT without HLT exiting, or an activity state HLT nothing woke: the processor sleeps.
                    _hw.PreemptionExit();
                    _halted = true;
                    return StopReason.Halted;
                default:
                    _hw.PreemptionExit();
                    return StopReason.ExitRequested;
            }
        }
    }

    /// <summary>do_interrupt_requests, then VMLAUNCH (first time) or VMRESUME. False when the entry failed.</summary>
    bool EnterGuest()
    {
        PrepareInterrupts();
        if (Tracer is { } t) t.Entry(Read(VmcsField.GuestRip));
        var status = _launched ? _hw.Vmresume() : _hw.Vmlaunch();
        if (status == VmxStatus.Succeed) { _launched = true; return true; }
        EntryFailed(status);
        return false;
    }

    /// <summary>
    /// A failed VM entry (2.6.20: KVM_EXIT_FAIL_ENTRY with the VM-instruction error, or an exit with
    /// reason bit 31, which 2.6.20 did not test for): the machine gets a shutdown. The failure stays
    /// readable in the VMCS (<see cref="LastEntryFailure"/>).
    /// </summary>
    void EntryFailed(VmxStatus status)
    {
        LastEntryFailure = status == VmxStatus.FailValid ? (uint)Read(VmcsField.VmInstructionError)
            : status == VmxStatus.EntryFailedWithExit ? (uint)Read(VmcsField.ExitReason) : 0xFFFF_FFFF;
        if (status == VmxStatus.EntryFailedWithExit) Exits.Record(ExitReason.InvalidGuestState, 0);
        _stop = StopReason.Shutdown;
        _cpu.Pending |= PendingEvent.ExitRequested;
    }

    /// <summary>The VM-instruction error (VMfailValid) or exit reason (entry failure exit) of the last failed entry.</summary>
    public uint LastEntryFailure { get; private set; }

    /// <summary>The VM exit arrived (HOST_RIP): dispatch by basic exit reason; resume unless the handler went to the machine.</summary>
    void IVmxHost.OnVmExit()
    {
        var activity = _cpu.Activity; // the time split (ExecutionActivity): the exit, then back to what ran
        _cpu.Activity = ExecutionActivity.ExitHandling;
        HandleExit();
        _cpu.Activity = activity;
    }

    void HandleExit()
    {
        long start = Exits.Start();
        int reason = (ushort)Read(VmcsField.ExitReason);
        if (ExitObserved is { } observe) observe(VmxExitRecord.Capture(this));
        if (Tracer is { } t) TraceExit(t, reason);
        bool resume = reason < VmxExitHandlers.Count ? VmxExitHandlers.Dispatch(this, reason) : UnknownExit();
        Exits.Record(reason < VmxExitHandlers.Count ? reason : 0, start);
        if (resume && _nestedExits >= MaxNestedExits) { _stop = StopReason.Shutdown; resume = false; }
        if (!resume) { ToMachine(); return; }
        // An entry whose injected event exits again nests here; the architecture bounds that chain
        // (#DF, then shutdown), the bound guards the host's stack against a VMM bug.
        _nestedExits++;
        try { EnterGuest(); }
        finally { _nestedExits--; }
    }

    /// <summary>Back to the machine ("userspace"): the executor returns and <see cref="Run"/> reports <see cref="_stop"/>.</summary>
    void ToMachine()
    {
        _stop ??= StopReason.ExitRequested;
        _cpu.NextRip = _cpu.Rip;
        _cpu.Pending |= PendingEvent.ExitRequested;
    }

    bool UnknownExit() { _stop = StopReason.ExitRequested; return false; }

    // ------------------------------------------------------------------ IInterceptController (forwarded to the processor model)

    public bool MayIntercept(in Instruction instruction) => _hw.MayIntercept(in instruction);

    public bool TryInterceptInstruction(JitVirt.Cpu.Cpu cpu, in Instruction instruction) => _hw.TryInterceptInstruction(in instruction);

    public bool TryInterceptException(JitVirt.Cpu.Cpu cpu, in PendingExceptionInfo exception) => _hw.TryInterceptException(in exception);

    public bool OnInterruptCheck(JitVirt.Cpu.Cpu cpu) => _hw.OnInterruptCheck();

    public bool TryInterceptTaskSwitch(JitVirt.Cpu.Cpu cpu, ushort selector, TaskSwitchSource source, bool hasErrorCode, uint errorCode)
        => _hw.TryInterceptTaskSwitch(selector, source);
}
