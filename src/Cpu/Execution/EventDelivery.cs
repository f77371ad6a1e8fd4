using JitVirt.Cpu.State;

namespace JitVirt.Cpu;

/// <summary>
/// Delivery of exceptions and interrupts through the IVT/IDT (SDM vol.3 ch.7). This file holds
/// the real-mode path; the protected, V86 and long-mode paths live beside it.
/// </summary>
public sealed partial class Cpu
{
    /// <summary>Delivers <see cref="PendingException"/> (the faulting instruction's RIP is still in <see cref="Rip"/>).</summary>
    public void DeliverPendingException()
    {
        var e = PendingException;
        Pending &= ~PendingEvent.Exception;
        ulong returnRip = e.IsTrap ? NextRip : Rip;
        DeliverEvent(e.Vector, e.HasErrorCode, e.ErrorCode, returnRip, e.IsSoftwareInterrupt);
    }

    /// <summary>Delivers an external interrupt (vector from the acknowledge cycle) before the instruction at RIP.</summary>
    public void DeliverExternalInterrupt(byte vector)
    {
        Halted = false;
        DeliverEvent(vector, false, 0, Rip, false);
    }

    void DeliverEvent(byte vector, bool hasErrorCode, uint errorCode, ulong returnRip, bool software)
    {
        if (Mode == OperatingMode.Real) DeliverRealMode(vector, returnRip);
        else DeliverProtected(vector, hasErrorCode, errorCode, returnRip, software);
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

    partial void DeliverProtectedCore(byte vector, bool hasErrorCode, uint errorCode, ulong returnRip, bool software, ref bool handled);

    void DeliverProtected(byte vector, bool hasErrorCode, uint errorCode, ulong returnRip, bool software)
    {
        bool handled = false;
        DeliverProtectedCore(vector, hasErrorCode, errorCode, returnRip, software, ref handled);
        if (!handled) Shutdown();
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
