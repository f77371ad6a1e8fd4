using JitVirt.Cpu;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;

namespace JitVirt.Vmx;

/// <summary>
/// Events: handle_exception, exception injection (vmx_inject_gp, vmx_inject_page_fault with its
/// #DF escalation) and 2.6.20's do_interrupt_requests (inject from the pending-IRQ bitmap when the
/// window is open, otherwise interrupt-window exiting).
/// </summary>
public sealed partial class VmxFrontEnd
{
    /// <summary>An NMI the VMM took from the machine and has not delivered (guest NMIs were blocked).</summary>
    bool _nmiPending;

    /// <summary>
    /// handle_exception. An interrupted external interrupt (IDT-vectoring type 0) goes back into the
    /// pending bitmap, as 2.6.20 did. An NMI belongs to the guest's machine here and is injected.
    /// #PF: JitVirt's executor walks the guest's own page tables (the shadow MMU is inside it), so
    /// every #PF that exits is one the guest's tables explain: it is reflected (CR2 := qualification,
    /// error code kept), and a #PF while delivering a #PF becomes #DF(0) as in vmx_inject_page_fault.
    /// In real mode every exception exits (bitmap all ones) and goes to the vm86 path.
    /// </summary>
    internal static bool HandleException(VmxFrontEnd v)
    {
        uint info = (uint)v.Read(VmcsField.VmExitInterruptionInfo);
        uint idt = (uint)v.Read(VmcsField.IdtVectoringInfo);
        if (InterruptionInfo.Type(info) == InterruptionType.Nmi)
        {
            v._cpu.Interrupts?.AcknowledgeNmi();
            v._nmiPending = true;
            return true;
        }
        if (InterruptionInfo.IsValid(idt) && InterruptionInfo.Type(idt) == InterruptionType.ExternalInterrupt)
            v._pending.Set(InterruptionInfo.Vector(idt));
        byte vector = InterruptionInfo.Vector(info);
        bool hasError = InterruptionInfo.HasErrorCode(info);
        uint error = hasError ? (uint)v.Read(VmcsField.VmExitInterruptionErrorCode) : 0;
        if (vector == ExceptionVector.PageFault && v.Tracer is { } t) t.PageFault(v.Read(VmcsField.ExitQualification), error);
        if (v._rmode) return v.HandleRealModeException(vector, InterruptionInfo.Type(info), hasError, error, idt);
        uint type = InterruptionInfo.Type(info);
        if (type == InterruptionType.SoftwareException)
        {
            v.Write(VmcsField.VmEntryInstructionLength, v.Read(VmcsField.VmExitInstructionLength));
            v.Write(VmcsField.VmEntryInterruptionInfo, InterruptionInfo.Make(vector, type, false));
            v.Tracer?.InjectException(vector, false, 0);
            return true;
        }
        return v.Reflect(vector, hasError ? error : null, idt);
    }

    /// <summary>
    /// Reflects an intercepted hardware exception into the guest. When the exit interrupted the
    /// delivery of another hardware exception the VMM applies the double-fault rules the processor
    /// would have (SDM vol.3 §7.15 Table 7-5): 2.6.20 did this only for a #PF during a #PF
    /// (vmx_inject_page_fault); a fault while delivering #DF is a triple fault. #PF also loads CR2
    /// from the exit qualification.
    /// </summary>
    bool Reflect(byte vector, uint? errorCode, uint idtVectoring)
    {
        if (InterruptionInfo.IsValid(idtVectoring) && InterruptionInfo.Type(idtVectoring) == InterruptionType.HardwareException)
        {
            var first = Classify(InterruptionInfo.Vector(idtVectoring));
            var second = Classify(vector);
            if (first == FaultClass.DoubleFault && second != FaultClass.Benign) { _stop = StopReason.Shutdown; return false; }
            if ((first == FaultClass.Contributory && second == FaultClass.Contributory)
                || (first == FaultClass.PageFault && second != FaultClass.Benign))
            {
                InjectException(ExceptionVector.DoubleFault, 0);
                return true;
            }
        }
        if (vector == ExceptionVector.PageFault) _cpu.Cr2 = Read(VmcsField.ExitQualification);
        InjectException(vector, errorCode);
        return true;
    }

    enum FaultClass { Benign, Contributory, PageFault, DoubleFault }

    static FaultClass Classify(byte vector) => vector switch
    {
        0 or 10 or 11 or 12 or 13 => FaultClass.Contributory,
        ExceptionVector.PageFault => FaultClass.PageFault,
        ExceptionVector.DoubleFault => FaultClass.DoubleFault,
        _ => FaultClass.Benign,
    };

    /// <summary>Queues a hardware exception in the VM-entry interruption-information field (vmx_inject_gp's format), or delivers it by hand in real mode.</summary>
    void InjectException(byte vector, uint? errorCode = null)
    {
        Tracer?.InjectException(vector, errorCode.HasValue, errorCode ?? 0);
        if (_rmode) { DeliverThroughIvt(vector, Read(VmcsField.GuestRip)); return; }
        if (errorCode is { } e) Write(VmcsField.VmEntryExceptionErrorCode, e);
        Write(VmcsField.VmEntryInterruptionInfo, InterruptionInfo.Make(vector, InterruptionType.HardwareException, errorCode.HasValue));
    }

    /// <summary>The guest could take a maskable interrupt now: RFLAGS.IF and no STI/MOV SS blocking (2.6.20's interrupt_window_open).</summary>
    bool InterruptWindowOpen()
        => (Read(VmcsField.GuestRflags) & Rflags.IF) != 0 && (Read(VmcsField.GuestInterruptibilityState) & 3) == 0;

    /// <summary>Something would wake a halted guest: an NMI, or a maskable interrupt with IF set.</summary>
    bool CanWake()
    {
        var src = _cpu.Interrupts;
        if (_nmiPending || src?.HasPendingNmi == true) return true;
        return (_pending.Any || src?.HasPendingInterrupt == true) && (Read(VmcsField.GuestRflags) & Rflags.IF) != 0;
    }

    /// <summary>
    /// do_interrupt_requests (run before every VM entry): acknowledge the machine's interrupt
    /// controller into the pending bitmap, inject the highest vector when the window is open and no
    /// event is already queued, and set interrupt-window exiting exactly when something is left waiting.
    /// </summary>
    void PrepareInterrupts()
    {
        var src = _cpu.Interrupts;
        if (!_nmiPending && !_pending.Any && (src is null || (!src.HasPendingNmi && !src.HasPendingInterrupt)))
        {
            SetInterruptWindowExiting(false);   // nothing waits: the common case costs no VMREAD
            return;
        }
        bool queued = InterruptionInfo.IsValid((uint)Read(VmcsField.VmEntryInterruptionInfo));
        if (!queued && (_nmiPending || src?.HasPendingNmi == true) && (Read(VmcsField.GuestInterruptibilityState) & (Interruptibility.BlockingByNmi | 3)) == 0)
        {
            if (!_nmiPending) src!.AcknowledgeNmi();
            _nmiPending = false;
            if (_rmode) DeliverThroughIvt(ExceptionVector.Nmi, Read(VmcsField.GuestRip));
            else Write(VmcsField.VmEntryInterruptionInfo, InterruptionInfo.Make(ExceptionVector.Nmi, InterruptionType.Nmi, false));
            queued = true;
        }
        bool open = InterruptWindowOpen();
        if (open && !queued)
        {
            if (!_pending.Any && src is not null && src.HasPendingInterrupt)
            {
                _pending.Set(src.AcknowledgeInterrupt());
                _hw.NoteInterruptAcknowledged();
            }
            if (_pending.Any)
            {
                byte vector = _pending.TakeHighest();
                if (_rmode) DeliverThroughIvt(vector, Read(VmcsField.GuestRip));   // inject_rmode_irq
                else Write(VmcsField.VmEntryInterruptionInfo, InterruptionInfo.Make(vector, InterruptionType.ExternalInterrupt, false));
                open = false;
            }
        }
        bool waiting = _pending.Any || (src?.HasPendingInterrupt ?? false);
        SetInterruptWindowExiting(waiting && !open);
    }

    void SetInterruptWindowExiting(bool on)
    {
        if (on == _windowExiting) return;
        _windowExiting = on;
        ulong proc = Read(VmcsField.ProcessorBasedControls);
        Write(VmcsField.ProcessorBasedControls, on ? proc | ProcControls.InterruptWindowExiting : proc & ~(ulong)ProcControls.InterruptWindowExiting);
    }

    bool _windowExiting;
}
