using JitVirt.Cpu.State;

namespace JitVirt.Cpu;

/// <summary>
/// IA-32e-mode delivery through 16-byte IDT gates (SDM vol.3 §7.14; APM vol.2 §8.9): only 64-bit
/// interrupt/trap gates, a 64-bit target code segment, canonical target, IST stacks, the new
/// stack aligned to 16 bytes, and SS:RSP always pushed.
/// </summary>
public sealed partial class Cpu
{
    void DeliverLongMode(byte vector, bool hasErrorCode, uint errorCode, ulong returnRip, EventKind kind)
    {
        uint ext = kind == EventKind.Software ? 0u : 1u;
        uint idtError = (uint)vector * 8 + 2 + ext;

        if (!TryReadIdtEntry(vector, out var gate))
        {
            if (!Faulted) RaiseGeneralProtection(idtError);
            return;
        }
        uint type = gate.Type;
        // Only types 14/15 exist in IA-32e mode; the upper half's type field must be 0 (SDM vol.3 §7.14.1, Figure 7-8).
        if (gate.IsCodeOrData || type is not (SystemDescriptorType.InterruptGate32 or SystemDescriptorType.TrapGate32)
            || ((gate.High >> 40) & 0x1F) != 0)
        {
            RaiseGeneralProtection(idtError);
            return;
        }
        if (kind == EventKind.Software && gate.Dpl < Cpl) { RaiseGeneralProtection((uint)vector * 8 + 2); return; }
        if (!gate.IsPresent) { RaiseFault(ExceptionVector.SegmentNotPresent, idtError); return; }
        bool interruptGate = type == SystemDescriptorType.InterruptGate32;

        ushort csSelector = gate.GateSelector;
        uint csError = (uint)(csSelector & 0xFFFC) | ext;
        if ((csSelector & 0xFFFC) == 0) { RaiseGeneralProtection(ext); return; }
        if (!TryReadDescriptor(csSelector, out var cs, out ulong csAddress))
        {
            if (!Faulted) RaiseGeneralProtection(csError);
            return;
        }
        if (!cs.IsCode || cs.Dpl > Cpl) { RaiseGeneralProtection(csError); return; }
        if (!cs.IsPresent) { RaiseFault(ExceptionVector.SegmentNotPresent, csError); return; }
        if (!cs.IsLong || cs.IsDefaultBig) { RaiseGeneralProtection(csError); return; }

        ulong target = gate.GateOffset64;
        if (!IsCanonical(target)) { RaiseGeneralProtection(ext); return; }

        bool interPrivilege = !cs.IsConforming && cs.Dpl < Cpl;
        int newCpl = interPrivilege ? cs.Dpl : Cpl;
        int ist = gate.GateIst;
        ulong rsp;
        if (ist != 0 || interPrivilege)
        {
            if (!TryReadTss64StackForDelivery(newCpl, ist, ext, out rsp)) return;
        }
        else
        {
            rsp = Gpr[State.Gpr.Rsp];
        }
        rsp &= ~0xFul; // SDM vol.3 §7.14.2: the new RSP is aligned to 16 bytes before the pushes

        int n = 0;
        _frame[n++] = Segments[SegmentIndex.Ss].Selector;
        _frame[n++] = Gpr[State.Gpr.Rsp];
        _frame[n++] = FlagsImageForDelivery(kind);
        _frame[n++] = Segments[SegmentIndex.Cs].Selector;
        _frame[n++] = returnRip;
        if (hasErrorCode) _frame[n++] = errorCode;
        if (!TryPushFrame(Segments[SegmentIndex.Ss], ref rsp, n, 8, longMode: true, user: newCpl == 3, ext)) return;
        SetDescriptorAccessed(csAddress, cs);
        if (Faulted) return;

        // ---- commit
        if (interPrivilege)
        {
            // SS is loaded with a null selector whose RPL is the new CPL (SDM vol.3 §7.14.4).
            Segments[SegmentIndex.Ss] = new SegmentRegister
            {
                Selector = (ushort)newCpl,
                AccessRights = SegmentRegister.Unusable | ((uint)newCpl << SegmentRegister.DplShift),
            };
        }
        Gpr[State.Gpr.Rsp] = rsp;
        Segments[SegmentIndex.Cs] = cs.ToSegmentRegister((ushort)((csSelector & 0xFFFC) | newCpl));
        SetFlagsForHandler(interruptGate);
        Rip = target;
        UpdateMode();
    }
}
