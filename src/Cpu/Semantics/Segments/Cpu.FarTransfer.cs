using JitVirt.Cpu.State;

namespace JitVirt.Cpu;

/// <summary>
/// Far JMP, far CALL and far RET in every mode (SDM vol.2 JMP, CALL, RET pseudo-code; vol.3
/// §5.8): direct transfers to code segments, call gates (16, 32 and 64-bit, with the stack switch
/// through the TSS and the parameter copy), and JMP/CALL to a TSS or task gate. Each method checks
/// everything first, building the new CS/SS/RSP in locals, and commits at the end; it returns
/// false after raising a fault. The return address is <see cref="Cpu.NextRip"/>; the target is
/// left in <see cref="Cpu.NextRip"/>.
/// </summary>
public sealed partial class Cpu
{
    /// <summary>Far JMP to <paramref name="selector"/>:<paramref name="offset"/> with operand size <paramref name="operandSize"/> (2, 4 or 8 bytes).</summary>
    public bool FarJump(ushort selector, ulong offset, int operandSize) => FarTransfer(selector, offset, operandSize, isCall: false);

    /// <summary>Far CALL: pushes CS and the return offset (operand-size items) and transfers like <see cref="FarJump"/>.</summary>
    public bool FarCall(ushort selector, ulong offset, int operandSize) => FarTransfer(selector, offset, operandSize, isCall: true);

    static ulong TruncateOffset(ulong offset, int size) => size switch { 2 => offset & 0xFFFF, 4 => offset & 0xFFFF_FFFF, _ => offset };

    /// <summary>Loads CS the real-mode or V86 way (selector × 16) for a far transfer.</summary>
    void LoadCsUnprotected(ushort selector)
    {
        if (Mode == OperatingMode.Virtual8086) CommitSegment(SegmentIndex.Cs, V86Segment(selector));
        else LoadRealModeSegment(SegmentIndex.Cs, selector);
    }

    bool FarTransfer(ushort selector, ulong offset, int operandSize, bool isCall)
    {
        if (Mode is OperatingMode.Real or OperatingMode.Virtual8086)
        {
            ulong ip = TruncateOffset(offset, operandSize);
            var stack = CurrentStack();
            if (isCall && !ProbePushes(stack, 2, operandSize)) return false;
            if (ip > Segments[SegmentIndex.Cs].Limit) { RaiseGeneralProtection(0); return false; }
            if (isCall)
            {
                PushUnchecked(ref stack, Segments[SegmentIndex.Cs].Selector, operandSize);
                PushUnchecked(ref stack, NextRip, operandSize);
                Gpr[State.Gpr.Rsp] = stack.Rsp;
            }
            LoadCsUnprotected(selector);
            NextRip = ip;
            return true;
        }

        uint err = SelectorErrorCode(selector);
        if (IsNullSelector(selector)) { RaiseGeneralProtection(0); return false; }
        if (!TryReadDescriptor(selector, out var d, out ulong address))
        {
            if (!Faulted) RaiseGeneralProtection(err);
            return false;
        }
        bool ia32e = IsLongModeActive;
        int rpl = selector & 3;
        if (d.IsCodeOrData)
        {
            if (!d.IsCode) { RaiseGeneralProtection(err); return false; }
            if (d.IsConforming ? d.Dpl > Cpl : rpl > Cpl || d.Dpl != Cpl) { RaiseGeneralProtection(err); return false; }
            if (ia32e && d.IsLong && d.IsDefaultBig) { RaiseGeneralProtection(err); return false; }
            if (!d.IsPresent) { RaiseFault(ExceptionVector.SegmentNotPresent, err); return false; }
            return TransferToCode(d, address, selector, TruncateOffset(offset, operandSize), operandSize, isCall, Cpl);
        }

        switch (d.Type)
        {
            case SystemDescriptorType.CallGate16 when !ia32e:
            case SystemDescriptorType.CallGate32:
                return ThroughCallGate(selector, d, isCall);
            case SystemDescriptorType.TaskGate when !ia32e:
            case SystemDescriptorType.Tss16Available when !ia32e:
            case SystemDescriptorType.Tss32Available when !ia32e:
                // Task switches do not exist in IA-32e mode (SDM vol.3 §8.7): there these types are #GP(selector).
                if (d.Dpl < Cpl || rpl > d.Dpl) { RaiseGeneralProtection(err); return false; }
                if (!d.IsPresent) { RaiseFault(ExceptionVector.SegmentNotPresent, err); return false; }
                ushort tss = d.Type == SystemDescriptorType.TaskGate ? d.GateSelector : selector;
                return TaskSwitch(tss, isCall ? TaskSwitchSource.Call : TaskSwitchSource.Jmp);
            default:
                RaiseGeneralProtection(err);
                return false;
        }
    }

    /// <summary>
    /// Transfers to a checked code segment at the same privilege <paramref name="cpl"/>: for a CALL,
    /// pushes CS:RIP (<paramref name="pushSize"/>-byte items) on the current stack first.
    /// </summary>
    bool TransferToCode(in SegmentDescriptor d, ulong address, ushort selector, ulong target, int pushSize, bool isCall, int cpl)
    {
        bool targetLong = IsLongModeActive && d.IsLong;
        var stack = CurrentStack();
        if (pushSize == 8) stack.Long64 = IsLongModeActive;
        if (isCall && !ProbePushes(stack, 2, pushSize)) return false;
        if (targetLong ? !IsCanonical(target) : target > d.Limit) { RaiseGeneralProtection(0); return false; }
        SetDescriptorAccessed(address, d);
        if (Faulted) return false;
        if (isCall)
        {
            PushUnchecked(ref stack, Segments[SegmentIndex.Cs].Selector, pushSize);
            PushUnchecked(ref stack, NextRip, pushSize);
            Gpr[State.Gpr.Rsp] = stack.Rsp;
        }
        CommitSegment(SegmentIndex.Cs, CodeSegmentFor(d, selector, cpl));
        NextRip = target;
        return true;
    }

    /// <summary>JMP or CALL through a call gate (SDM vol.2 CALL "CALL-GATE", JMP "CALL-GATE"; vol.3 §5.8.4-§5.8.5).</summary>
    bool ThroughCallGate(ushort gateSelector, SegmentDescriptor gate, bool isCall)
    {
        uint gateErr = SelectorErrorCode(gateSelector);
        bool ia32e = IsLongModeActive;
        if (gate.Dpl < Cpl || (gateSelector & 3) > gate.Dpl) { RaiseGeneralProtection(gateErr); return false; }
        if (ia32e)
        {
            // 64-bit call gates are 16 bytes; the type field of the upper half must be 0 (SDM vol.3 §5.8.3.1).
            if (!TryReadDescriptor(gateSelector, out gate, out _, sixteenBytes: true) || ((gate.High >> 40) & 0x1F) != 0)
            {
                if (!Faulted) RaiseGeneralProtection(gateErr);
                return false;
            }
        }
        if (!gate.IsPresent) { RaiseFault(ExceptionVector.SegmentNotPresent, gateErr); return false; }

        ushort codeSelector = gate.GateSelector;
        uint codeErr = SelectorErrorCode(codeSelector);
        if (IsNullSelector(codeSelector)) { RaiseGeneralProtection(0); return false; }
        if (!TryReadDescriptor(codeSelector, out var code, out ulong codeAddress))
        {
            if (!Faulted) RaiseGeneralProtection(codeErr);
            return false;
        }
        if (!code.IsCode || code.Dpl > Cpl) { RaiseGeneralProtection(codeErr); return false; }
        if (ia32e && (!code.IsLong || code.IsDefaultBig)) { RaiseGeneralProtection(codeErr); return false; }
        if (!isCall && !code.IsConforming && code.Dpl != Cpl) { RaiseGeneralProtection(codeErr); return false; }
        if (!code.IsPresent) { RaiseFault(ExceptionVector.SegmentNotPresent, codeErr); return false; }

        int gateSize = ia32e ? 8 : gate.Type == SystemDescriptorType.CallGate32 ? 4 : 2;
        ulong target = ia32e ? gate.GateOffset64 : gateSize == 4 ? gate.GateOffset32 : gate.GateOffset32 & 0xFFFF;

        if (!isCall || code.IsConforming || code.Dpl == Cpl)
            return TransferToCode(code, codeAddress, codeSelector, target, gateSize, isCall, Cpl);
        return CallGateToInnerLevel(gate, code, codeAddress, codeSelector, target, gateSize);
    }

    /// <summary>CALL through a gate to a more privileged non-conforming segment: stack switch from the TSS and parameter copy (SDM vol.2 CALL "MORE-PRIVILEGE").</summary>
    bool CallGateToInnerLevel(in SegmentDescriptor gate, in SegmentDescriptor code, ulong codeAddress, ushort codeSelector, ulong target, int gateSize)
    {
        int newCpl = code.Dpl;
        SegmentRegister newSs;
        ulong ssAddress = 0;
        SegmentDescriptor ssDescriptor = default;
        StackTarget stack;
        int parameters = 0;
        if (gateSize == 8)
        {
            if (!TryReadTss64Stack(newCpl, out ulong rsp)) return false;
            newSs = NullSegment((ushort)newCpl, newCpl);
            stack = new StackTarget { Ss = newSs, Rsp = rsp, Long64 = true, User = false, ErrorCode = 0 };
            if (!ProbePushes(stack, 4, 8)) return false;
            if (!IsCanonical(target)) { RaiseGeneralProtection(0); return false; }
        }
        else
        {
            if (!TryReadTssStack(newCpl, out ushort ssSelector, out ulong esp)) return false;
            uint ssErr = SelectorErrorCode(ssSelector);
            if (IsNullSelector(ssSelector)) { RaiseFault(ExceptionVector.InvalidTss, 0); return false; }
            if (!TryReadDescriptor(ssSelector, out ssDescriptor, out ssAddress))
            {
                if (!Faulted) RaiseFault(ExceptionVector.InvalidTss, ssErr);
                return false;
            }
            if ((ssSelector & 3) != newCpl || ssDescriptor.Dpl != newCpl || !ssDescriptor.IsWritable)
            {
                RaiseFault(ExceptionVector.InvalidTss, ssErr);
                return false;
            }
            if (!ssDescriptor.IsPresent) { RaiseFault(ExceptionVector.StackFault, ssErr); return false; }
            newSs = ssDescriptor.ToSegmentRegister(ssSelector);
            newSs.AccessRights |= SegmentRegister.TypeAccessed;
            stack = new StackTarget { Ss = newSs, Rsp = esp, Long64 = false, User = newCpl == 3, ErrorCode = ssErr };
            parameters = gate.GateParameterCount;
            if (!ProbePushes(stack, 4 + parameters, gateSize)) return false;
            if (target > code.Limit) { RaiseGeneralProtection(0); return false; }
        }

        // Parameters come from the caller's stack, the deepest first (SDM vol.3 §5.8.5, Figure 5-13).
        Span<ulong> copied = stackalloc ulong[32];
        ulong oldRsp = Gpr[State.Gpr.Rsp];
        for (int j = 0; j < parameters; j++)
            if (!TryReadStack(oldRsp + (ulong)(j * gateSize), gateSize, out copied[j])) return false;

        if (gateSize != 8)
        {
            SetDescriptorAccessed(ssAddress, ssDescriptor);
            if (Faulted) return false;
        }
        SetDescriptorAccessed(codeAddress, code);
        if (Faulted) return false;

        PushUnchecked(ref stack, Segments[SegmentIndex.Ss].Selector, gateSize);
        PushUnchecked(ref stack, oldRsp, gateSize);
        for (int j = parameters - 1; j >= 0; j--) PushUnchecked(ref stack, copied[j], gateSize);
        PushUnchecked(ref stack, Segments[SegmentIndex.Cs].Selector, gateSize);
        PushUnchecked(ref stack, NextRip, gateSize);

        Gpr[State.Gpr.Rsp] = MergeStackPointer(oldRsp, stack.Rsp, newSs.IsDefaultBig, gateSize == 8);
        CommitSegment(SegmentIndex.Ss, newSs);
        CommitSegment(SegmentIndex.Cs, CodeSegmentFor(code, codeSelector, newCpl));
        NextRip = target;
        return true;
    }

    /// <summary>
    /// Far RET with operand size <paramref name="operandSize"/>, releasing <paramref name="popBytes"/>
    /// bytes of parameters (SDM vol.2 RET): same privilege, or return to an outer level that pops
    /// SS:RSP and nulls data segment registers the outer level may not use.
    /// </summary>
    public bool FarReturn(int operandSize, ushort popBytes)
    {
        ulong rsp = Gpr[State.Gpr.Rsp];
        ulong mask = StackPointerMask;
        if (!TryReadStack(rsp, operandSize, out ulong tempIp)) return false;
        if (!TryReadStack(rsp + (ulong)operandSize, operandSize, out ulong tempCsRaw)) return false;
        ushort csSelector = (ushort)tempCsRaw;
        ulong target = TruncateOffset(tempIp, operandSize);
        ulong afterPop = (rsp & ~mask) | ((rsp + (ulong)(2 * operandSize) + popBytes) & mask);

        if (Mode is OperatingMode.Real or OperatingMode.Virtual8086)
        {
            if (target > Segments[SegmentIndex.Cs].Limit) { RaiseGeneralProtection(0); return false; }
            LoadCsUnprotected(csSelector);
            Gpr[State.Gpr.Rsp] = afterPop;
            NextRip = target;
            return true;
        }

        if (!TryCheckReturnCode(csSelector, out var code, out ulong codeAddress)) return false;
        int rpl = csSelector & 3;
        bool targetLong = IsLongModeActive && code.IsLong;
        if (rpl == Cpl)
        {
            if (targetLong ? !IsCanonical(target) : target > code.Limit) { RaiseGeneralProtection(0); return false; }
            SetDescriptorAccessed(codeAddress, code);
            if (Faulted) return false;
            CommitSegment(SegmentIndex.Cs, CodeSegmentFor(code, csSelector, rpl));
            Gpr[State.Gpr.Rsp] = afterPop;
            NextRip = target;
            return true;
        }

        // Return to an outer privilege level: the caller's SS:RSP sits above the parameters.
        ulong outer = rsp + (ulong)(2 * operandSize) + popBytes;
        if (!TryReadStack(outer, operandSize, out ulong tempSp)) return false;
        if (!TryReadStack(outer + (ulong)operandSize, operandSize, out ulong tempSsRaw)) return false;
        ushort ssSelector = (ushort)tempSsRaw;
        if (!TryCheckReturnStack(ssSelector, rpl, targetLong, out var newSs, out ulong ssAddress, out var ssDescriptor)) return false;
        if (targetLong ? !IsCanonical(target) : target > code.Limit) { RaiseGeneralProtection(0); return false; }
        if (!IsNullSelector(ssSelector))
        {
            SetDescriptorAccessed(ssAddress, ssDescriptor);
            if (Faulted) return false;
        }
        SetDescriptorAccessed(codeAddress, code);
        if (Faulted) return false;

        bool long64 = targetLong;
        ulong newRsp = MergeStackPointer(rsp, tempSp, newSs.IsDefaultBig, long64);
        ulong newMask = long64 ? ulong.MaxValue : newSs.IsDefaultBig ? 0xFFFF_FFFFul : 0xFFFFul;
        Gpr[State.Gpr.Rsp] = (newRsp & ~newMask) | ((newRsp + popBytes) & newMask);
        CommitSegment(SegmentIndex.Ss, newSs);
        CommitSegment(SegmentIndex.Cs, CodeSegmentFor(code, csSelector, rpl));
        NullOuterDataSegments();
        NextRip = target;
        return true;
    }

    /// <summary>The checks of a return code segment for RET and IRET (SDM vol.2 RET "PROTECTED-MODE", IRET "PROTECTED-MODE-RETURN").</summary>
    bool TryCheckReturnCode(ushort selector, out SegmentDescriptor code, out ulong address)
    {
        uint err = SelectorErrorCode(selector);
        code = default;
        address = 0;
        if (IsNullSelector(selector)) { RaiseGeneralProtection(0); return false; }
        if (!TryReadDescriptor(selector, out code, out address))
        {
            if (!Faulted) RaiseGeneralProtection(err);
            return false;
        }
        int rpl = selector & 3;
        if (!code.IsCode || rpl < Cpl
            || (code.IsConforming ? code.Dpl > rpl : code.Dpl != rpl)
            || (IsLongModeActive && code.IsLong && code.IsDefaultBig))
        {
            RaiseGeneralProtection(err);
            return false;
        }
        if (!code.IsPresent) { RaiseFault(ExceptionVector.SegmentNotPresent, err); return false; }
        return true;
    }

    /// <summary>
    /// The checks of the SS popped by a RET or IRET to privilege <paramref name="rpl"/>: a null SS
    /// is accepted only when returning to 64-bit code at RPL &lt; 3 (SDM vol.2 IRET, vol.3 §6.14.3).
    /// </summary>
    bool TryCheckReturnStack(ushort selector, int rpl, bool targetLong, out SegmentRegister ss, out ulong address, out SegmentDescriptor descriptor)
    {
        uint err = SelectorErrorCode(selector);
        ss = default;
        address = 0;
        descriptor = default;
        if (IsNullSelector(selector))
        {
            if (targetLong && rpl != 3 && (selector & 3) == rpl)
            {
                ss = NullSegment(selector, rpl);
                return true;
            }
            RaiseGeneralProtection(0);
            return false;
        }
        if (!TryReadDescriptor(selector, out descriptor, out address))
        {
            if (!Faulted) RaiseGeneralProtection(err);
            return false;
        }
        if ((selector & 3) != rpl || !descriptor.IsWritable || descriptor.Dpl != rpl)
        {
            RaiseGeneralProtection(err);
            return false;
        }
        if (!descriptor.IsPresent) { RaiseStackFault(err); return false; }
        ss = descriptor.ToSegmentRegister(selector);
        ss.AccessRights |= SegmentRegister.TypeAccessed;
        return true;
    }
}
