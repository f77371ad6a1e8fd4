namespace JitVirt.Virtualization;

/// <summary>
/// What an exit is about, independent of the front end's encoding: the key on which
/// <c>jitvirt compare</c> lines SVM's exit codes up with VMX's exit reasons (<c>io</c> ↔
/// <c>IO_INSTRUCTION</c>, <c>msr</c> ↔ <c>MSR_READ</c> + <c>MSR_WRITE</c>, ...).
/// </summary>
public enum ExitCategory
{
    Other,
    Io,
    MsrRead,
    MsrWrite,
    Cpuid,
    Hlt,
    ExternalInterrupt,
    Nmi,
    InterruptWindow,
    Exception,
    PageFault,
    CrRead,
    CrWrite,
    DrAccess,
    Invlpg,
    TaskSwitch,
    Shutdown,
    Rdtsc,
    Pause,
    VirtualizationInstruction,
    Hypercall,
    Invalid,
}
