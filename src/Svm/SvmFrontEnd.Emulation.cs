using Iced.Intel;
using JitVirt.Cpu;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;

namespace JitVirt.Svm;

/// <summary>
/// The VMM's instruction emulator (2.6.20's emulate_on_interception and x86_emulate): it runs the
/// intercepted instruction's ordinary semantics on the guest state taken from the VMCB and puts the
/// result back in the VMCB, so the handlers keep the VMCB authoritative. Exceptions the emulation
/// raises are injected through EVENTINJ, as kvm_inject_gp and friends did.
/// </summary>
public sealed unsafe partial class SvmFrontEnd
{
    /// <summary>Emulates the intercepted instruction and moves RIP past it unless it faulted. Returns true (resume).</summary>
    internal bool EmulateInstruction()
    {
        long flushesBefore = _tlbFlushes;
        InGuestContext(static (self, cpu) =>
        {
            cpu.NextRip = self._exitNextRip;
            ((delegate*<JitVirt.Cpu.Cpu, in Instruction, void>)HandlerTable.Handlers[(int)self._exitInstruction.Code])(cpu, in self._exitInstruction);
            if (cpu.Faulted) self.QueueRaisedException(cpu);
            else cpu.Rip = cpu.NextRip;
        });
        // A TLB flush the instruction caused (MOV CR3, a paging change in CR0/CR4) is 2.6.20's
        // svm_flush_tlb: force_new_asid.
        if (_tlbFlushes != flushesBefore) ForceNewAsid();
        return true;
    }

    /// <summary>
    /// Runs <paramref name="body"/> on the processor holding the VMCB's guest state, then stores the
    /// result in the VMCB (a full #VMEXIT-style store, so every later reader sees it).
    /// </summary>
    internal void InGuestContext(Action<SvmFrontEnd, JitVirt.Cpu.Cpu> body)
    {
        var cpu = _cpu;
        LoadGuestState(full: true);
        cpu.Pending &= ~PendingEvent.Exception;
        body(this, cpu);
        SaveGuestState(cpu.Rip);
    }

    /// <summary>An exception the emulation raised goes into EVENTINJ (software interrupts and traps after RIP moved on).</summary>
    void QueueRaisedException(JitVirt.Cpu.Cpu cpu)
    {
        var e = cpu.PendingException;
        cpu.Pending &= ~PendingEvent.Exception;
        if (e.IsTrap || e.IsSoftwareInterrupt) cpu.Rip = cpu.NextRip;
        uint type = e.IsSoftwareInterrupt && !e.IsInt3OrInto ? EventInjection.TypeSoftwareInterrupt : EventInjection.TypeException;
        QueueEvent(EventInjection.Make(e.Vector, type, e.HasErrorCode), e.ErrorCode);
    }

    /// <summary>Puts an event in EVENTINJ (+ error code) for the next VMRUN.</summary>
    public void QueueEvent(EventInjection e, uint errorCode = 0)
    {
        Vmcb.EventInj = e;
        Vmcb.EventInjErrorCode = errorCode;
        if (e.Type == EventInjection.TypeException) Tracer?.InjectException(e.Vector, e.HasErrorCode, errorCode);
    }

    /// <summary>kvm_inject_gp / svm_inject_gp: #GP with an error code.</summary>
    public void InjectGeneralProtection(uint errorCode) => QueueEvent(EventInjection.Exception(ExceptionVector.GeneralProtection, true), errorCode);

    /// <summary>#UD (invalid_op_interception).</summary>
    public void InjectInvalidOpcode() => QueueEvent(EventInjection.Exception(ExceptionVector.InvalidOpcode, false));

    /// <summary>RIP := next RIP, and the interrupt shadow ends (2.6.20 skip_emulated_instruction).</summary>
    internal void SkipInstruction()
    {
        Vmcb.Rip = _exitNextRip;
        Vmcb.IntState &= ~VmcbControlArea.InterruptShadow;
    }

    /// <summary>Is <paramref name="vector"/> a contributory exception (SDM vol.3 §7.15 Table 7-3)?</summary>
    static bool IsContributory(byte vector) => vector is ExceptionVector.DivideError or ExceptionVector.InvalidTss
        or ExceptionVector.SegmentNotPresent or ExceptionVector.StackFault or ExceptionVector.GeneralProtection;

    /// <summary>
    /// Reflects exception <paramref name="vector"/> into the guest through EVENTINJ, applying the
    /// double-fault rule against the event EXITINTINFO says was being delivered (SDM vol.3 §7.15
    /// Table 7-4: contributory after contributory, or #PF/contributory after #PF → #DF(0); anything
    /// during #DF delivery is a triple fault). An interrupted external interrupt is requeued
    /// (2.6.20 pf_interception). Returns false when the result is a shutdown.
    /// </summary>
    internal bool ReflectException(byte vector, bool hasErrorCode, uint errorCode)
    {
        var v = Vmcb;
        var during = v.ExitIntInfo;
        if (during.IsValid)
        {
            if (during.Type == EventInjection.TypeIntr) PendingInterrupts.Set(during.Vector);
            else if (during.Type == EventInjection.TypeException)
            {
                byte first = during.Vector;
                if (first == ExceptionVector.DoubleFault) return false;
                bool second = IsContributory(vector) || vector == ExceptionVector.PageFault;
                if ((first == ExceptionVector.PageFault && second) || (IsContributory(first) && IsContributory(vector)))
                {
                    QueueEvent(EventInjection.Exception(ExceptionVector.DoubleFault, true), 0);
                    return true;
                }
            }
        }
        QueueEvent(EventInjection.Exception(vector, hasErrorCode), errorCode);
        return true;
    }
}
