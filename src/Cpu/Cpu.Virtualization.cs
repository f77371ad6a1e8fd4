using JitVirt.Cpu.Virtualization;

namespace JitVirt.Cpu;

/// <summary>
/// What the executor keeps for a hardware-virtualization front end: the controller it asks about
/// intercepts, the translation tag (ASID or VPID) its lookups are tagged with, the event being
/// delivered (for EXITINTINFO / IDT-vectoring information), and event injection at VM entry.
/// </summary>
public sealed partial class Cpu
{
    /// <summary>The front end this processor runs under, or null for bare-metal execution.</summary>
    public IInterceptController? Intercepts { get; private set; }

    /// <summary>
    /// The translation tag of the running guest: its ASID (AMD APM vol.2 §15.16) or VPID (SDM vol.3C
    /// §29.1); 0 is the host's. Lookups of translated code are tagged with it.
    /// </summary>
    public uint TranslationTag { get; private set; }

    /// <summary>The event whose delivery is in progress (valid only inside event delivery).</summary>
    public EventInDelivery EventInDelivery { get; private set; }

    /// <summary>Raised when every translation (decoded blocks and compiled code) must be dropped.</summary>
    public event Action? TranslatedCodeInvalidated;

    /// <summary>Raised when <see cref="TranslationTag"/> changes: the executor switches its lookup cache.</summary>
    public event Action<uint>? TranslationTagChanged;

    /// <summary>Runs the processor under <paramref name="controller"/> (null: bare metal). Drops all translations.</summary>
    public void AttachInterceptController(IInterceptController? controller)
    {
        Intercepts = controller;
        InvalidateTranslatedCode();
    }

    /// <summary>
    /// The intercept configuration changed (a bitmap bit, an intercept vector, a control): code
    /// compiled with or without exit stubs may be wrong now, so every translation goes.
    /// </summary>
    public void InvalidateTranslatedCode()
    {
        Pending |= PendingEvent.CodeInvalidated;
        TranslatedCodeInvalidated?.Invoke();
    }

    /// <summary>Switches the translation tag (an ASID or VPID change at VM entry).</summary>
    public void SetTranslationTag(uint tag)
    {
        if (tag == TranslationTag) return;
        TranslationTag = tag;
        Translator.SetTag(tag);
        TranslationTagChanged?.Invoke(tag);
    }

    /// <summary>
    /// Delivers an event the front end injects at VM entry (SVM EVENTINJ, AMD APM vol.2 §15.20; VMX
    /// VM-entry interruption information, SDM vol.3C §27.6): through the guest's IDT as if it arose
    /// before the instruction at <see cref="Rip"/>, without the intercept check for the injected vector
    /// itself (exceptions raised while delivering it are still checked). <paramref name="returnRip"/> is
    /// what the frame saves: RIP for faults and external events, the next instruction for software
    /// interrupts and trap-class exceptions.
    /// </summary>
    public void InjectEvent(byte vector, EventKind kind, bool isNmi, bool hasErrorCode, uint errorCode, ulong returnRip)
    {
        Halted = false;
        if (isNmi) NmiBlocked = true;
        DeliverWithEscalation(vector, hasErrorCode, errorCode, returnRip, kind, isNmi);
        Pending |= PendingEvent.ModeChanged; // control flow moved: the executor looks the block up again
    }

    /// <summary>
    /// A task switch the front end emulates after a TASK_SWITCH exit: the same as the hardware's,
    /// without asking the controller again.
    /// </summary>
    public bool EmulateTaskSwitch(ushort tssSelector, TaskSwitchSource source, bool hasErrorCode = false, uint errorCode = 0, bool external = false)
    {
        _taskSwitchUnintercepted = true;
        try { return TaskSwitch(tssSelector, source, hasErrorCode, errorCode, external); }
        finally { _taskSwitchUnintercepted = false; }
    }

    bool _taskSwitchUnintercepted;

    /// <summary>True when the controller took the task switch as an exit (the caller stops: nothing more happens in the guest).</summary>
    bool TaskSwitchExits(ushort selector, TaskSwitchSource source, bool hasErrorCode, uint errorCode)
        => !_taskSwitchUnintercepted && Intercepts is { } c && c.TryInterceptTaskSwitch(this, selector, source, hasErrorCode, errorCode);
}
