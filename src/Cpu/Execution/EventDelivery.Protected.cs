using JitVirt.Cpu.State;

namespace JitVirt.Cpu;

/// <summary>
/// Protected-mode and virtual-8086-mode delivery through 8-byte IDT gates (SDM vol.3 §7.10–7.13;
/// vol.2 INT n pseudocode, PROTECTED-MODE, TRAP-OR-INTERRUPT-GATE, INTER-PRIVILEGE-LEVEL-INTERRUPT,
/// INTERRUPT-FROM-VIRTUAL-8086-MODE, INTRA-PRIVILEGE-LEVEL-INTERRUPT). Every check happens
/// before anything is committed; a failed check raises the fault and returns, and
/// <see cref="DeliverWithEscalation"/> decides what comes next.
/// </summary>
public sealed partial class Cpu
{
    void DeliverProtectedMode(byte vector, bool hasErrorCode, uint errorCode, ulong returnRip, EventKind kind)
    {
        uint ext = kind == EventKind.Software ? 0u : 1u;
        uint idtError = (uint)vector * 8 + 2 + ext;

        // ---- the gate
        if (!TryReadIdtEntry(vector, out var gate))
        {
            if (!Faulted) RaiseGeneralProtection(idtError);
            return;
        }
        uint type = gate.Type;
        if (gate.IsCodeOrData || type is not (SystemDescriptorType.TaskGate or SystemDescriptorType.InterruptGate16
                or SystemDescriptorType.TrapGate16 or SystemDescriptorType.InterruptGate32 or SystemDescriptorType.TrapGate32))
        {
            RaiseGeneralProtection(idtError);
            return;
        }
        if (kind == EventKind.Software && gate.Dpl < Cpl) { RaiseGeneralProtection((uint)vector * 8 + 2); return; }
        if (!gate.IsPresent) { RaiseFault(ExceptionVector.SegmentNotPresent, idtError); return; }

        if (type == SystemDescriptorType.TaskGate)
        {
            // SDM vol.3 §7.12.2: the handler is a task; the task switch pushes the error code.
            TaskSwitch(gate.GateSelector, TaskSwitchSource.InterruptOrException, hasErrorCode, errorCode);
            return;
        }

        bool gate32 = type >= SystemDescriptorType.InterruptGate32;
        bool interruptGate = (type & 1) == 0;
        int width = gate32 ? 4 : 2;

        // ---- the handler's code segment
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

        ulong target = gate32 ? gate.GateOffset32 : gate.GateOffset32 & 0xFFFF;
        bool fromV86 = Mode == OperatingMode.Virtual8086;
        bool interPrivilege = !cs.IsConforming && cs.Dpl < Cpl;
        if (fromV86 && (!interPrivilege || cs.Dpl != 0)) { RaiseGeneralProtection(csError); return; }
        int newCpl = interPrivilege ? cs.Dpl : Cpl;

        // ---- the stack
        ulong flagsImage = FlagsImageForDelivery(kind);
        if (!gate32) flagsImage &= 0xFFFF;
        ushort oldCs = Segments[SegmentIndex.Cs].Selector;
        int n = 0;
        SegmentRegister newSs;
        ulong rsp;
        uint stackError;
        if (interPrivilege)
        {
            if (!TryReadTssStackForDelivery(newCpl, ext, out ushort ssSelector, out ulong tssEsp)) return;
            stackError = (uint)(ssSelector & 0xFFFC) | ext;
            if ((ssSelector & 0xFFFC) == 0) { RaiseFault(ExceptionVector.InvalidTss, ext); return; }
            if (!TryReadDescriptor(ssSelector, out var ssDesc, out _))
            {
                if (!Faulted) RaiseFault(ExceptionVector.InvalidTss, stackError);
                return;
            }
            if ((ssSelector & 3) != newCpl || ssDesc.Dpl != newCpl || !ssDesc.IsWritable)
            {
                RaiseFault(ExceptionVector.InvalidTss, stackError);
                return;
            }
            if (!ssDesc.IsPresent) { RaiseStackFault(stackError); return; }
            newSs = ssDesc.ToSegmentRegister(ssSelector);
            rsp = tssEsp;
            if (fromV86)
            {
                _frame[n++] = Segments[SegmentIndex.Gs].Selector;
                _frame[n++] = Segments[SegmentIndex.Fs].Selector;
                _frame[n++] = Segments[SegmentIndex.Ds].Selector;
                _frame[n++] = Segments[SegmentIndex.Es].Selector;
            }
            _frame[n++] = Segments[SegmentIndex.Ss].Selector;
            _frame[n++] = Gpr[State.Gpr.Rsp] & (gate32 ? 0xFFFF_FFFFul : 0xFFFFul);
        }
        else
        {
            newSs = Segments[SegmentIndex.Ss];
            rsp = Gpr[State.Gpr.Rsp];
            stackError = ext;
        }
        _frame[n++] = flagsImage;
        _frame[n++] = oldCs;
        _frame[n++] = returnRip & (gate32 ? 0xFFFF_FFFFul : 0xFFFFul);
        if (hasErrorCode) _frame[n++] = errorCode;

        if (target > cs.Limit) { RaiseGeneralProtection(ext); return; }
        if (!TryPushFrame(newSs, ref rsp, n, width, longMode: false, user: newCpl == 3, stackError)) return;
        SetDescriptorAccessed(csAddress, cs);
        if (Faulted) return;

        // ---- commit
        if (interPrivilege)
        {
            Segments[SegmentIndex.Ss] = newSs;
            Gpr[State.Gpr.Rsp] = rsp & 0xFFFF_FFFF;
        }
        else
        {
            Gpr[State.Gpr.Rsp] = rsp;
        }
        if (fromV86)
        {
            // GS, FS, DS, ES are made null: unusable in protected mode (SDM vol.3 §7.12.1, Figure 7-5 note).
            var nullSegment = new SegmentRegister { AccessRights = SegmentRegister.Unusable };
            Segments[SegmentIndex.Es] = nullSegment;
            Segments[SegmentIndex.Ds] = nullSegment;
            Segments[SegmentIndex.Fs] = nullSegment;
            Segments[SegmentIndex.Gs] = nullSegment;
        }
        Segments[SegmentIndex.Cs] = cs.ToSegmentRegister((ushort)((csSelector & 0xFFFC) | newCpl));
        SetFlagsForHandler(interruptGate);
        Rip = target;
        UpdateMode();
    }
}
