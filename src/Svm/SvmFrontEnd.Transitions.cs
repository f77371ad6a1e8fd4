using System.Runtime.CompilerServices;
using JitVirt.Cpu;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;
using C = JitVirt.Svm.VmcbControlArea;

namespace JitVirt.Svm;

/// <summary>
/// VMRUN and #VMEXIT (AMD APM vol.2 §15.5, §15.6), with what 2.6.20's svm_vcpu_run did around them:
/// do_interrupt_requests and pre_svm_run (ASIDs) before entry, the handler table after exit.
/// </summary>
public sealed partial class SvmFrontEnd
{
    /// <summary>
    /// #VMEXIT with <paramref name="exitCode"/>, then its handler; if the handler resumes, VMRUN
    /// again. Returns with the guest back in the processor (true) or out of it, headed for the
    /// machine (<see cref="PendingEvent.ExitRequested"/> set). <paramref name="rip"/> is the RIP the
    /// VMCB receives: the intercepted instruction's, or the next one's for trap-like events.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    bool ExitAndHandle(int exitCode, ulong exitInfo1, ulong exitInfo2, ulong rip)
    {
        var activity = _cpu.Activity; // the time split (ExecutionActivity): the exit, then back to what ran
        _cpu.Activity = ExecutionActivity.ExitHandling;
        long start = Exits.Start();
        VmExit(exitCode, exitInfo1, exitInfo2, rip);
        bool resume = SvmExitHandlers.Dispatch(this, exitCode);
        Exits.Record(exitCode, start);
        bool inGuest = resume ? ResumeInPlace() : ToUserspace();
        _cpu.Activity = activity;
        return inGuest;
    }

    bool ToUserspace()
    {
        GoToUserspace(_toUserspace ?? StopReason.ExitRequested);
        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void VmExit(int exitCode, ulong exitInfo1, ulong exitInfo2, ulong rip)
    {
        SaveForExit(rip);
        var v = Vmcb;
        v.ExitCode = (ulong)exitCode;
        v.ExitInfo1 = exitInfo1;
        v.ExitInfo2 = exitInfo2;
        WriteExitIntInfo(v);
        _inGuest = false;
        ExitObserver?.Invoke(this);
        if (Tracer is { } t) TraceExit(t, exitCode);
    }

    /// <summary>EXITINTINFO: the event whose delivery the intercept interrupted, or 0 (APM vol.2 §15.7.2); EVENTINJ.V is cleared.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void WriteExitIntInfo(Vmcb v)
    {
        var during = _cpu.EventInDelivery;
        if (!during.Valid && v.Hot32(C.ExitIntInfo) == 0 && v.Hot32(C.EventInj) == 0) return;
        v.ExitIntInfo = EventInjection.FromDelivery(during);
        v.ExitIntInfoErrorCode = during.Valid && during.HasErrorCode ? during.ErrorCode : 0;
        v.EventInj = EventInjection.None;
    }

    /// <summary>The handler resumed the guest: VMRUN, and the executor continues at the guest's RIP.</summary>
    bool ResumeInPlace()
    {
        if (!EnterGuest())
        {
            GoToUserspace(StopReason.ExitRequested);
            return false;
        }
        _cpu.NextRip = _cpu.Rip;
        return true;
    }

    /// <summary>
    /// A handler needs the machine: the guest stays out (its state is in the VMCB); the processor
    /// gets that state too so the machine sees the guest's registers; the executor returns.
    /// </summary>
    void GoToUserspace(StopReason reason)
    {
        _toUserspace = reason;
        _inGuest = false;
        LoadGuestState(full: true);
        _cpu.NextRip = _cpu.Rip;
        _cpu.Pending |= PendingEvent.ExitRequested;
    }

    /// <summary>The executor returned without a #VMEXIT (budget, a device's request): the host takes the processor back, storing the guest state.</summary>
    void LeaveToHost()
    {
        if (!_inGuest) return;
        _inGuest = false;
        SaveGuestState(_cpu.Rip);
    }

    /// <summary>Triple fault: #VMEXIT(SHUTDOWN) when intercepted (2.6.20 always did), then the machine.</summary>
    void ShutdownExit()
    {
        if (!_inGuest) return;
        if (!Vmcb.IsIntercepted(InterceptWord1.Shutdown)) { LeaveToHost(); return; }
        long start = Exits.Start();
        VmExit(SvmExitCode.Shutdown, 0, 0, _cpu.Rip);
        SvmExitHandlers.Dispatch(this, SvmExitCode.Shutdown);
        Exits.Record(SvmExitCode.Shutdown, start);
        _toUserspace = null;
    }

    // ------------------------------------------------------------------ VMRUN

    /// <summary>
    /// Prepare entry and VMRUN: interrupt requests (2.6.20 do_interrupt_requests), ASID (pre_svm_run),
    /// the consistency checks, the state load, TLB control, and the EVENTINJ delivery. False when the
    /// checks failed (EXITCODE = VMEXIT_INVALID).
    /// </summary>
    bool EnterGuest()
    {
        var v = Vmcb;
        PrepareInterrupts(v);
        PreSvmRun(v);
        if (!ConsistencyChecksPass(v))
        {
            v.ExitCode = SvmExitCode.Invalid;
            InvalidEntries++;
            return false;
        }
        CheckInterceptConfiguration(v);
        Tracer?.Entry(v.Rip);
        LoadGuestState(full: false);
        _inGuest = true;
        _vmruns++;
        ApplyAsid(v);
        var inject = v.EventInj;
        if (inject.IsValid) Inject(v, inject);
        return true;
    }

    /// <summary>
    /// Interrupt requests before entry (2.6.20 do_interrupt_requests, with QEMU's acknowledge of the
    /// PIC/APIC): an NMI is injected when not blocked; a maskable interrupt is acknowledged and
    /// injected through EVENTINJ when the guest can take it (RFLAGS.IF, no interrupt shadow, nothing
    /// else being injected); otherwise V_IRQ and the VINTR intercept ask for a #VMEXIT when the
    /// window opens (APM vol.2 §15.21.4).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void PrepareInterrupts(Vmcb v)
    {
        var src = _cpu.Interrupts;
        if (src is null && !PendingInterrupts.Any)
        {
            if ((v.Hot32(C.IntCtl) & C.VIrq) != 0) CloseInterruptWindow(v);
            return;
        }
        PrepareInterruptsSlow(v, src);
    }

    void PrepareInterruptsSlow(Vmcb v, JitVirt.Cpu.Platform.IInterruptSource? src)
    {
        bool injecting = v.EventInj.IsValid;
        if (!injecting && src is { HasPendingNmi: true } && !_cpu.NmiBlocked)
        {
            src.AcknowledgeNmi();
            v.EventInj = EventInjection.Make(ExceptionVector.Nmi, EventInjection.TypeNmi, false);
            injecting = true;
        }
        bool pending = PendingInterrupts.Any || src is { HasPendingInterrupt: true };
        if (!pending)
        {
            if (v.VIrq) CloseInterruptWindow(v);
            return;
        }
        bool open = !injecting && (v.Rflags & Rflags.IF) != 0 && (v.IntState & C.InterruptShadow) == 0;
        if (open)
        {
            if (!PendingInterrupts.Any) PendingInterrupts.Set(src!.AcknowledgeInterrupt());
            v.EventInj = EventInjection.ExternalInterrupt(PendingInterrupts.TakeHighest());
            if (v.VIrq) CloseInterruptWindow(v);
        }
        else
        {
            OpenInterruptWindowRequest(v);
        }
    }

    /// <summary>
    /// Requests a VINTR exit: V_IRQ with the highest priority and V_IGN_TPR (the vector is not used:
    /// the VMM injects the real one through EVENTINJ after the exit), and the VINTR intercept.
    /// </summary>
    void OpenInterruptWindowRequest(Vmcb v)
    {
        v.IntCtl = (v.IntCtl & ~C.VIntrPrioMask) | C.VIrq | (0xFu << C.VIntrPrioShift) | C.VIgnTpr;
        v.IntVector = 0;
        v.InterceptWord1 |= InterceptWord1.Vintr;
    }

    internal void CloseInterruptWindow(Vmcb v)
    {
        v.IntCtl &= ~(C.VIrq | C.VIntrPrioMask | C.VIgnTpr);
        v.InterceptWord1 &= ~InterceptWord1.Vintr;
    }

    /// <summary>
    /// pre_svm_run (fact sheet A12): TLB_CONTROL := 0; a vCPU whose generation is not the pool's takes
    /// a new ASID, with TLB_CONTROL = FLUSH_ALL_ASID when the pool wrapped.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void PreSvmRun(Vmcb v)
    {
        v.TlbControl = C.TlbControlDoNothing;
        if (AsidGeneration != Asids.Generation) NewAsid(v);
    }

    void NewAsid(Vmcb v)
    {
        v.GuestAsid = Asids.Allocate(out bool flushAll);
        _asidAllocations++;
        if (flushAll) { v.TlbControl = C.TlbControlFlushAll; _asidRollovers++; }
        AsidGeneration = Asids.Generation;
    }

    /// <summary>force_new_asid: the vCPU gets a fresh ASID (so an empty TLB) at its next VMRUN; 2.6.20's TLB flush.</summary>
    public void ForceNewAsid() => AsidGeneration--;

    /// <summary>
    /// The processor side of the ASID (APM vol.2 §15.16): lookups are tagged with it. JitVirt's
    /// software TLB holds one tag's entries, so a switch to another ASID (whose entries would be
    /// empty) and TLB_CONTROL = 1 both flush it; decoded and compiled code is kept (it is indexed by
    /// physical address, so a CR3 or ASID switch never recompiles).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void ApplyAsid(Vmcb v)
    {
        uint asid = v.GuestAsid;
        bool flush = v.TlbControl == C.TlbControlFlushAll || asid != _cpu.TranslationTag;
        _cpu.SetTranslationTag(asid);
        if (flush) { _cpu.FlushTlb(); _vmrunTlbFlushes++; }
    }

    /// <summary>INVLPGA (APM vol.3): invalidates the translation of <paramref name="linear"/> in ASID <paramref name="asid"/>.</summary>
    public void Invlpga(ulong linear, uint asid)
    {
        // Only the running guest's ASID has entries in the processor's TLB (see ApplyAsid); other
        // ASIDs have none to drop, and the next switch to one flushes anyway.
        if (asid == _cpu.TranslationTag) { _cpu.FlushTlbPage(linear); _invlpgaFlushes++; }
    }

    /// <summary>
    /// The VMRUN checks this front end can fail (APM vol.2 §15.5.1): the VMRUN intercept must be
    /// set, ASID 0 is the host's, EFER.SVME must be set, CR0.CD = 0 with NW = 1 and set upper halves
    /// of CR0/DR6/DR7 are illegal, and EVENTINJ must have a legal type and vector (§15.20).
    /// </summary>
    bool ConsistencyChecksPass(Vmcb v)
    {
        if (!v.IsIntercepted(InterceptWord2.Vmrun) || v.GuestAsid == 0) return false;
        if (v.ColdDirty)
        {
            ulong cr0 = v.Cr0;
            if ((v.Efer & Efer.SVME) == 0 || (cr0 >> 32) != 0) return false;
            if ((cr0 & JitVirt.Cpu.State.Cr0.CD) == 0 && (cr0 & JitVirt.Cpu.State.Cr0.NW) != 0) return false;
            if ((v.Dr6 >> 32) != 0 || (v.Dr7 >> 32) != 0) return false;
        }
        var e = v.EventInj;
        if (e.IsValid)
        {
            if (e.Type is 1 or > 4) return false;
            if (e.Type == EventInjection.TypeException && (e.Vector == ExceptionVector.Nmi || e.Vector > 31)) return false;
        }
        return true;
    }

    /// <summary>
    /// EVENTINJ delivery at VMRUN (APM vol.2 §15.20): through the guest's IDT as if it arose before
    /// the instruction at RIP, with the exception intercepts applying to faults of the delivery.
    /// The VMCB's RIP is what the frame saves (a VMM without NRIP moves RIP past an instruction
    /// itself before injecting a software interrupt).
    /// </summary>
    void Inject(Vmcb v, EventInjection e)
    {
        v.EventInj = EventInjection.None;
        _eventsInjected++;
        uint errorCode = v.EventInjErrorCode;
        var cpu = _cpu;
        switch (e.Type)
        {
            case EventInjection.TypeIntr:
                cpu.InjectEvent(e.Vector, EventKind.External, false, false, 0, cpu.Rip);
                break;
            case EventInjection.TypeNmi:
                cpu.InjectEvent(ExceptionVector.Nmi, EventKind.External, true, false, 0, cpu.Rip);
                break;
            case EventInjection.TypeSoftwareInterrupt:
                cpu.InjectEvent(e.Vector, EventKind.Software, false, false, 0, cpu.Rip);
                break;
            default:
                // Type 3 with #BP or #OF is delivered as a software exception (APM vol.2 §15.20).
                var kind = e.Vector is ExceptionVector.Breakpoint or ExceptionVector.Overflow ? EventKind.Software : EventKind.Fault;
                cpu.InjectEvent(e.Vector, kind, false, e.HasErrorCode, errorCode, cpu.Rip);
                break;
        }
    }

    // ------------------------------------------------------------------ intercept configuration

    ulong _compiledCrDr;
    uint _compiledWord1, _compiledWord2;

    /// <summary>
    /// Instruction-intercept bits: the ones that decide whether an instruction is compiled as an
    /// exit stub. The others (INTR, NMI, SMI, INIT, VINTR, INTn, TASK_SWITCH, FERR, SHUTDOWN and the
    /// exception vector) are checked at run time by the executor's hooks.
    /// </summary>
    const uint RuntimeOnlyWord1 = (uint)(InterceptWord1.Intr | InterceptWord1.Nmi | InterceptWord1.Smi | InterceptWord1.Init
        | InterceptWord1.Vintr | InterceptWord1.Intn | InterceptWord1.TaskSwitch | InterceptWord1.FerrFreeze | InterceptWord1.Shutdown);

    void RememberInterceptConfiguration()
    {
        var v = Vmcb;
        _compiledCrDr = v.Hot64(C.InterceptCrRead);
        _compiledWord1 = v.Hot32(C.InterceptWord1) & ~RuntimeOnlyWord1;
        _compiledWord2 = v.Hot32(C.InterceptWord2);
    }

    /// <summary>
    /// At VMRUN: if the CR/DR or instruction intercept vectors changed since code was translated,
    /// the translations made under the old configuration go (with or without stubs they may be
    /// wrong now). A clean-bits check in spirit (APM vol.2 §15.15: "intercepts" clean bit 0).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void CheckInterceptConfiguration(Vmcb v)
    {
        if (v.Hot64(C.InterceptCrRead) == _compiledCrDr
            && (v.Hot32(C.InterceptWord1) & ~RuntimeOnlyWord1) == _compiledWord1
            && v.Hot32(C.InterceptWord2) == _compiledWord2) return;
        RememberInterceptConfiguration();
        _cpu.InvalidateTranslatedCode();
    }
}
