namespace JitVirt.Virtualization;

/// <summary>
/// The KVM tracepoints of Linux's <c>arch/x86/kvm/trace.h</c> that JitVirt's front ends raise, one
/// method per tracepoint with the tracepoint's own fields. A front end holds at most one tracer
/// (<see cref="IExitTraceSource.Tracer"/>, null when tracing is off) and calls it at the points where
/// KVM calls <c>trace_kvm_*</c>; formatting and filtering are the tracer's business. The single vCPU
/// is vcpu 0.
/// </summary>
public interface IExitTracer
{
    /// <summary>
    /// <c>kvm_exit</c>: after the exit fields are written, before the handler runs. <paramref name="reasonName"/>
    /// is KVM's name for the exit (SVM: <c>io</c>, <c>msr</c>, ...; VMX: <c>IO_INSTRUCTION</c>, ...);
    /// <paramref name="info1"/>/<paramref name="info2"/> are EXITINFO1/EXITINFO2 (SVM) or the exit
    /// qualification and the guest linear/physical address field (VMX); <paramref name="intrInfo"/> and
    /// <paramref name="errorCode"/> are EXITINTINFO's low and high halves (SVM) or the VM-exit interruption
    /// information and its error code (VMX).
    /// </summary>
    void Exit(uint exitReason, string reasonName, ulong rip, ulong info1, ulong info2, uint intrInfo, uint errorCode);

    /// <summary><c>kvm_entry</c>: just before VMRUN / VMRESUME loads the guest state into the processor.</summary>
    void Entry(ulong rip);

    /// <summary><c>kvm_pio</c>: an intercepted IN/OUT/INS/OUTS handled by the VMM; <paramref name="value"/> is the first element.</summary>
    void Pio(bool write, ushort port, int size, int count, uint value);

    /// <summary><c>kvm_msr</c>: an intercepted RDMSR/WRMSR; <paramref name="exception"/> when it raised #GP into the guest.</summary>
    void Msr(bool write, uint index, ulong data, bool exception);

    /// <summary><c>kvm_cpuid</c>: an intercepted CPUID with the leaf, subleaf and the values returned.</summary>
    void Cpuid(uint function, uint index, ulong rax, ulong rbx, ulong rcx, ulong rdx, bool found);

    /// <summary><c>kvm_cr</c>: an intercepted MOV to or from a control register.</summary>
    void Cr(bool write, int cr, ulong value);

    /// <summary><c>kvm_page_fault</c>: a #PF exit handed to the (shadow) MMU, with CR2 and the error code.</summary>
    void PageFault(ulong address, uint errorCode);

    /// <summary><c>kvm_inj_exception</c>: the VMM queues an exception for injection at the next entry.</summary>
    void InjectException(byte vector, bool hasErrorCode, uint errorCode);
}
