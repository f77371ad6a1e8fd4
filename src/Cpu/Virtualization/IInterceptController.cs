using Iced.Intel;

namespace JitVirt.Cpu.Virtualization;

/// <summary>
/// The contract between the executor and a hardware-virtualization front end (SVM or VMX), which
/// plays the part of the processor's virtualization hardware plus the VMM on top of it. The
/// executor never knows which front end it runs under: it only asks these questions.
/// <list type="bullet">
/// <item>At decode time, <see cref="MayIntercept"/> decides whether an instruction is compiled as an
/// exit stub (<see cref="InterceptStubs"/>); a front end whose intercept configuration changes calls
/// <see cref="Cpu.InvalidateTranslatedCode"/> so that stale stubs (or missing ones) are rebuilt.</item>
/// <item>At run time the stub first raises the exceptions that take priority over an intercept (#UD,
/// CPL and IOPL/TSS-bitmap checks: SDM vol.3C §26.1.1; AMD APM vol.2 §15.9), then calls
/// <see cref="TryInterceptInstruction"/>.</item>
/// <item>Exceptions go through <see cref="TryInterceptException"/> before the IDT is consulted,
/// interrupts are the front end's business entirely (<see cref="OnInterruptCheck"/>), and task
/// switches ask <see cref="TryInterceptTaskSwitch"/>.</item>
/// </list>
/// </summary>
public interface IInterceptController
{
    /// <summary>Decode time: can this instruction exit under the current configuration?</summary>
    bool MayIntercept(in Instruction instruction);

    /// <summary>
    /// Run time, from the exit stub, with <see cref="Cpu.Rip"/> at the instruction and
    /// <see cref="Cpu.NextRip"/> after it. Returns true when the front end completed the instruction
    /// (a VM exit whose handler emulated it, or the front end's hardware model, such as a CR0 read
    /// shadow). It then leaves the state the guest continues from, with the continuation address in
    /// <see cref="Cpu.NextRip"/>, and may set <see cref="PendingEvent.ExitRequested"/> to return to the
    /// machine or raise an exception into the guest. False runs the instruction normally.
    /// </summary>
    bool TryInterceptInstruction(Cpu cpu, in Instruction instruction);

    /// <summary>
    /// An exception is about to be delivered: raised by the instruction at <see cref="Cpu.Rip"/>, or
    /// (when <see cref="Cpu.EventInDelivery"/> is valid) raised while delivering that event. True when it
    /// exits instead of reaching the guest's IDT.
    /// </summary>
    bool TryInterceptException(Cpu cpu, in PendingExceptionInfo exception);

    /// <summary>
    /// An instruction boundary where the executor would look at its interrupt inputs (or the vCPU is
    /// halted). The front end takes its interrupt exits (INTR/NMI, VINTR or interrupt window) and its
    /// injections here. Returns true when it changed the guest's control flow.
    /// </summary>
    bool OnInterruptCheck(Cpu cpu);

    /// <summary>A task switch is about to begin (SVM TASK_SWITCH intercept; VMX always exits, SDM vol.3C §26.4.2). True when it exits instead.</summary>
    bool TryInterceptTaskSwitch(Cpu cpu, ushort selector, TaskSwitchSource source, bool hasErrorCode, uint errorCode);
}
