using JitVirt.Cpu.State;

namespace JitVirt.Cpu;

/// <summary>How an event arose; it decides the EXT bit, the pushed RF and the gate DPL check.</summary>
public enum EventKind : byte
{
    /// <summary>A fault-class exception: the saved RIP is the faulting instruction's; RF is set in the pushed flags.</summary>
    Fault,
    /// <summary>A trap-class exception (single-step #DB, INT1): the saved RIP is the next instruction's.</summary>
    Trap,
    /// <summary>INT n, INT3, INTO: gate DPL is checked against CPL; faults during delivery have EXT = 0.</summary>
    Software,
    /// <summary>An external interrupt or NMI.</summary>
    External,
}

/// <summary>
/// Delivery of exceptions and interrupts through the IVT/IDT (SDM vol.3 ch.7). This file holds
/// the entry points, the double-fault rules and the real-mode path; the protected/V86 path is
/// in <c>EventDelivery.Protected.cs</c>, the IA-32e path in <c>EventDelivery.Long.cs</c>.
/// </summary>
public sealed partial class Cpu
{
    /// <summary>NMIs are blocked from the delivery of one until the next IRET (SDM vol.3 §7.7.1). IRET clears it.</summary>
    public bool NmiBlocked;

    /// <summary>
    /// Told of every event just before the processor delivers it through the IVT/IDT, with the state it
    /// is taken in (RIP still at the faulting or interrupted instruction): a #DF formed by escalation is a
    /// second call. For logs such as QEMU's <c>-d int</c>; null (the default) costs one test per event.
    /// </summary>
    public Action<Cpu, Virtualization.EventInDelivery>? DeliveryObserver;

    /// <summary>Delivers <see cref="PendingException"/> (the faulting instruction's RIP is still in <see cref="Rip"/>).</summary>
    public void DeliverPendingException()
    {
        var e = PendingException;
        Pending &= ~PendingEvent.Exception;
        if (Intercepts is { } controller && controller.TryInterceptException(this, in e)) return;
        var kind = e.IsSoftwareInterrupt ? EventKind.Software : e.IsTrap ? EventKind.Trap : EventKind.Fault;
        ulong returnRip = e.IsTrap || e.IsSoftwareInterrupt ? NextRip : Rip;
        DeliverWithEscalation(e.Vector, e.HasErrorCode, e.ErrorCode, returnRip, kind, isNmi: false);
    }

    /// <summary>Delivers an external interrupt (vector from the acknowledge cycle) before the instruction at RIP.</summary>
    public void DeliverExternalInterrupt(byte vector)
    {
        Halted = false;
        DeliverWithEscalation(vector, false, 0, Rip, EventKind.External, isNmi: false);
    }

    /// <summary>Delivers an NMI through vector 2 and blocks further NMIs until IRET (SDM vol.3 §7.7.1).</summary>
    public void DeliverNmi()
    {
        Halted = false;
        NmiBlocked = true;
        DeliverWithEscalation(ExceptionVector.Nmi, false, 0, Rip, EventKind.External, isNmi: true);
    }

    /// <summary>Exception classes for the double-fault rules (SDM vol.3 §7.15, Interrupt 8, Table 7-4).</summary>
    enum ExceptionClass { Benign, Contributory, PageFault, DoubleFault }

    static ExceptionClass Classify(byte vector, EventKind kind)
    {
        if (kind is EventKind.Software or EventKind.External) return ExceptionClass.Benign;
        return vector switch
        {
            ExceptionVector.DivideError or ExceptionVector.InvalidTss or ExceptionVector.SegmentNotPresent
                or ExceptionVector.StackFault or ExceptionVector.GeneralProtection => ExceptionClass.Contributory,
            ExceptionVector.PageFault => ExceptionClass.PageFault,
            ExceptionVector.DoubleFault => ExceptionClass.DoubleFault,
            _ => ExceptionClass.Benign,
        };
    }

    /// <summary>
    /// Delivers an event; when its delivery raises another exception, applies SDM vol.3 Table 7-5:
    /// benign first → the second is delivered serially; contributory then contributory, or page
    /// fault then contributory/page fault → #DF(0); any fault while delivering #DF → shutdown
    /// (triple fault). The second exception's saved RIP is that of the instruction at which the
    /// first event was taken (<see cref="Rip"/>), as nothing of the first delivery was committed.
    /// Under a front end, an exception raised during delivery is first offered to
    /// <see cref="IInterceptController.TryInterceptException"/> with <see cref="EventInDelivery"/>
    /// describing the interrupted event (AMD APM vol.2 §15.7.2 EXITINTINFO; SDM vol.3C §28.2.4
    /// IDT-vectoring information).
    /// </summary>
    void DeliverWithEscalation(byte vector, bool hasErrorCode, uint errorCode, ulong returnRip, EventKind kind, bool isNmi)
    {
        InterruptShadow = false;
        // Escalation ends in at most three deliveries (event, #DF, shutdown); the bound guards
        // against a benign fault recurring forever, which the architecture cannot produce.
        for (int attempt = 0; ; attempt++)
        {
            if (attempt == 8) { Shutdown(); return; }
            EventInDelivery = new Virtualization.EventInDelivery(true, vector, kind, isNmi, hasErrorCode, errorCode);
            DeliveryObserver?.Invoke(this, EventInDelivery);
            DeliverEvent(vector, hasErrorCode, errorCode, returnRip, kind);
            if ((Pending & PendingEvent.Exception) == 0) { EventInDelivery = default; return; }
            var second = PendingException;
            Pending &= ~PendingEvent.Exception;
            if (Intercepts is { } controller && controller.TryInterceptException(this, in second)) { EventInDelivery = default; return; }
            EventInDelivery = default;
            var first = Classify(vector, kind);
            var next = Classify(second.Vector, EventKind.Fault);
            if (first == ExceptionClass.DoubleFault)
            {
                Shutdown();
                return;
            }
            if ((first == ExceptionClass.Contributory && next == ExceptionClass.Contributory)
                || (first == ExceptionClass.PageFault && next is ExceptionClass.Contributory or ExceptionClass.PageFault))
            {
                vector = ExceptionVector.DoubleFault;
                hasErrorCode = true;
                errorCode = 0;
                // A #DF formed here is a new exception: under a front end it may exit too (the
                // interrupted event is then lost, as on hardware: APM §15.7.2, SDM §28.2.4).
                var df = new PendingExceptionInfo { Vector = vector, HasErrorCode = true, ErrorCode = 0 };
                if (Intercepts is { } c2 && c2.TryInterceptException(this, in df)) return;
            }
            else
            {
                vector = second.Vector;
                hasErrorCode = second.HasErrorCode;
                errorCode = second.ErrorCode;
            }
            kind = EventKind.Fault;
            isNmi = false;
            returnRip = Rip;
        }
    }

    void DeliverEvent(byte vector, bool hasErrorCode, uint errorCode, ulong returnRip, EventKind kind)
    {
        if (Mode == OperatingMode.Real) DeliverRealMode(vector, returnRip);
        else if (IsLongModeActive) DeliverLongMode(vector, hasErrorCode, errorCode, returnRip, kind);
        else DeliverProtectedMode(vector, hasErrorCode, errorCode, returnRip, kind);
    }

    /// <summary>Real-mode delivery through the IVT: push FLAGS, CS, IP; clear IF, TF, AC (SDM vol.3 §20.1.4).</summary>
    void DeliverRealMode(byte vector, ulong returnRip)
    {
        ulong entry = (ulong)vector * 4;
        if (entry + 3 > Idtr.Limit) { Shutdown(); return; }
        ushort ip = ReadLinear<ushort>(Idtr.Base + entry, false);
        ushort cs = ReadLinear<ushort>(Idtr.Base + entry + 2, false);
        ulong rsp = Gpr[State.Gpr.Rsp];
        ushort flags = (ushort)GetRflags();
        if (!TryPush(ref rsp, flags) || !TryPush(ref rsp, Segments[SegmentIndex.Cs].Selector) || !TryPush(ref rsp, (ushort)returnRip))
        {
            // A stack fault while delivering in real mode: the processor shuts down (SDM vol.3 §20.1.4 note).
            Pending &= ~PendingEvent.Exception;
            Shutdown();
            return;
        }
        Gpr[State.Gpr.Rsp] = rsp;
        SetRflags(RflagsStatic & ~(Rflags.IF | Rflags.TF | Rflags.AC | Rflags.RF));
        LoadRealModeSegment(SegmentIndex.Cs, cs);
        Rip = ip;
    }

    /// <summary>The processor shuts down (triple fault): the host sees it as <see cref="PendingEvent.Shutdown"/>.</summary>
    public void Shutdown() => Pending |= PendingEvent.Shutdown;

    /// <summary>Loads a segment register the real-mode way: selector and base = selector × 16; limit and attributes stay (SDM vol.3 §20.1.1).</summary>
    public void LoadRealModeSegment(int seg, ushort selector)
    {
        ref var s = ref Segments[seg];
        s.Selector = selector;
        s.Base = (ulong)selector << 4;
        if (seg == SegmentIndex.Cs) UpdateMode();
        else if (seg == SegmentIndex.Ss) StackAddressSize = Mode == OperatingMode.Long64 ? 8 : s.IsDefaultBig ? 4 : 2;
    }
}
