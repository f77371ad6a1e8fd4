using JitVirt.Cpu.State;

namespace JitVirt.Cpu;

/// <summary>IRET / IRETD / IRETQ in every mode (SDM vol.2 IRET pseudo-code; vol.3 §6.14.3, §20.3).</summary>
public sealed partial class Cpu
{
    /// <summary>Real-mode IRETD: EFLAGS ← (popped AND 257FD5H) OR (EFLAGS AND 1A0000H).</summary>
    const ulong RealModeIretMask = 0x257FD5;

    /// <summary>
    /// IRET with operand size <paramref name="operandSize"/> (2, 4 or 8 bytes). Returns false
    /// after raising a fault; on success the return RIP is in <see cref="NextRip"/>.
    /// </summary>
    public bool InterruptReturn(int operandSize)
    {
        bool done = Mode switch
        {
            OperatingMode.Real => IretRealMode(operandSize),
            OperatingMode.Virtual8086 => IretV86(operandSize),
            _ => IretProtected(operandSize),
        };
        // IRET ends NMI blocking (SDM vol.3 §7.7: "until the next IRET"), even when the handler was entered otherwise.
        if (done) NmiBlocked = false;
        return done;
    }

    bool TryPopIretFrame(int operandSize, out ulong ip, out ushort cs, out ulong flags)
    {
        ulong rsp = Gpr[State.Gpr.Rsp];
        cs = 0;
        flags = 0;
        if (!TryReadStack(rsp, operandSize, out ip)) return false;
        if (!TryReadStack(rsp + (ulong)operandSize, operandSize, out ulong csRaw)) return false;
        if (!TryReadStack(rsp + (ulong)(2 * operandSize), operandSize, out flags)) return false;
        cs = (ushort)csRaw;
        ip = TruncateOffset(ip, operandSize);
        return true;
    }

    ulong StackAfterPops(int bytes)
    {
        ulong rsp = Gpr[State.Gpr.Rsp];
        ulong mask = StackPointerMask;
        return (rsp & ~mask) | ((rsp + (ulong)bytes) & mask);
    }

    bool IretRealMode(int operandSize)
    {
        if (!TryPopIretFrame(operandSize, out ulong ip, out ushort cs, out ulong popped)) return false;
        if (ip > Segments[SegmentIndex.Cs].Limit) { RaiseGeneralProtection(0); return false; }
        ulong old = GetRflags();
        ulong flags = operandSize == 2
            ? (old & ~0xFFFFul) | (popped & 0xFFFF)
            : (popped & RealModeIretMask) | (old & (Rflags.VIP | Rflags.VIF | Rflags.VM));
        Gpr[State.Gpr.Rsp] = StackAfterPops(3 * operandSize);
        LoadRealModeSegment(SegmentIndex.Cs, cs);
        SetRflags(flags);
        NextRip = ip;
        return true;
    }

    /// <summary>IRET in virtual-8086 mode: only at IOPL 3 (CR4.VME is not modelled), and IOPL, VM, VIF, VIP stay.</summary>
    bool IretV86(int operandSize)
    {
        if (Iopl != 3) { RaiseGeneralProtection(0); return false; }
        if (!TryPopIretFrame(operandSize, out ulong ip, out ushort cs, out ulong popped)) return false;
        if (ip > Segments[SegmentIndex.Cs].Limit) { RaiseGeneralProtection(0); return false; }
        ulong old = GetRflags();
        ulong keep = Rflags.IoplMask | Rflags.VM | Rflags.VIF | Rflags.VIP;
        ulong flags = operandSize == 2
            ? (old & ~0xFFFFul) | (popped & 0xFFFF & ~Rflags.IoplMask) | (old & Rflags.IoplMask)
            : (popped & RealModeIretMask & ~keep) | (old & keep);
        Gpr[State.Gpr.Rsp] = StackAfterPops(3 * operandSize);
        CommitSegment(SegmentIndex.Cs, V86Segment(cs));
        SetRflags(flags);
        NextRip = ip;
        return true;
    }

    /// <summary>
    /// The EFLAGS a protected-mode IRET installs (SDM vol.2 IRET "RETURN-TO-SAME-PRIVILEGE-LEVEL"):
    /// status flags, TF, DF, NT always; RF, AC, ID with a 32/64-bit operand; IF only when
    /// CPL ≤ IOPL; IOPL, and VIF/VIP with a 32/64-bit operand, only at CPL 0 — all judged with the
    /// CPL and IOPL before the return.
    /// </summary>
    public static ulong IretFlags(ulong current, ulong popped, int operandSize, int cpl, int iopl)
    {
        ulong mask = Rflags.CF | Rflags.PF | Rflags.AF | Rflags.ZF | Rflags.SF | Rflags.TF | Rflags.DF | Rflags.OF | Rflags.NT;
        if (operandSize >= 4) mask |= Rflags.RF | Rflags.AC | Rflags.ID;
        if (cpl <= iopl) mask |= Rflags.IF;
        if (cpl == 0)
        {
            mask |= Rflags.IoplMask;
            if (operandSize >= 4) mask |= Rflags.VIF | Rflags.VIP;
        }
        return (current & ~mask) | (popped & mask);
    }

    bool IretProtected(int operandSize)
    {
        bool ia32e = IsLongModeActive;
        if ((RflagsStatic & Rflags.NT) != 0)
        {
            // Task return through the back link; IA-32e mode has no task switching (SDM vol.3 §8.7).
            if (ia32e) { RaiseGeneralProtection(0); return false; }
            ushort link = ReadLinear<ushort>(Tr.Base & 0xFFFF_FFFF, false);
            if (Faulted) return false;
            return TaskSwitch(link, TaskSwitchSource.Iret);
        }

        if (!TryPopIretFrame(operandSize, out ulong target, out ushort csSelector, out ulong popped)) return false;
        if (!ia32e && operandSize == 4 && (popped & Rflags.VM) != 0 && Cpl == 0)
            return IretToV86((uint)target, csSelector, (uint)popped);

        if (!TryCheckReturnCode(csSelector, out var code, out ulong codeAddress)) return false;
        int rpl = csSelector & 3;
        bool targetLong = ia32e && code.IsLong;
        bool popStack = rpl > Cpl || Mode == OperatingMode.Long64;
        ulong rsp = Gpr[State.Gpr.Rsp];
        SegmentRegister newSs = default;
        ulong newRsp = StackAfterPops(3 * operandSize);
        ushort ssSelector = 0;
        ulong ssAddress = 0;
        SegmentDescriptor ssDescriptor = default;
        if (popStack)
        {
            if (!TryReadStack(rsp + (ulong)(3 * operandSize), operandSize, out ulong tempSp)) return false;
            if (!TryReadStack(rsp + (ulong)(4 * operandSize), operandSize, out ulong tempSs)) return false;
            ssSelector = (ushort)tempSs;
            if (!TryCheckReturnStack(ssSelector, rpl, targetLong, out newSs, out ssAddress, out ssDescriptor)) return false;
            newRsp = MergeStackPointer(rsp, TruncateOffset(tempSp, operandSize), newSs.IsDefaultBig, targetLong);
        }
        if (targetLong ? !IsCanonical(target) : target > code.Limit) { RaiseGeneralProtection(0); return false; }
        if (popStack && !IsNullSelector(ssSelector))
        {
            SetDescriptorAccessed(ssAddress, ssDescriptor);
            if (Faulted) return false;
        }
        SetDescriptorAccessed(codeAddress, code);
        if (Faulted) return false;

        ulong flags = IretFlags(GetRflags(), popped, operandSize, Cpl, Iopl);
        if (ia32e) flags &= ~Rflags.VM;
        bool outer = rpl > Cpl;
        Gpr[State.Gpr.Rsp] = newRsp;
        if (popStack) CommitSegment(SegmentIndex.Ss, newSs);
        CommitSegment(SegmentIndex.Cs, CodeSegmentFor(code, csSelector, rpl));
        SetRflags(flags);
        if (outer) NullOuterDataSegments();
        NextRip = target;
        return true;
    }

    /// <summary>
    /// IRETD at CPL 0 with VM = 1 in the popped EFLAGS: pops ESP, SS, ES, DS, FS, GS too and
    /// resumes the interrupted virtual-8086 task at CPL 3 (SDM vol.2 IRET "RETURN-TO-VIRTUAL-8086-MODE").
    /// </summary>
    bool IretToV86(uint eip, ushort cs, uint flags)
    {
        ulong rsp = Gpr[State.Gpr.Rsp];
        Span<ulong> v = stackalloc ulong[6]; // ESP SS ES DS FS GS
        for (int k = 0; k < 6; k++)
            if (!TryReadStack(rsp + (ulong)(12 + 4 * k), 4, out v[k])) return false;
        SetRflags(flags);
        Gpr[State.Gpr.Rsp] = (uint)v[0];
        Segments[SegmentIndex.Ss] = V86Segment((ushort)v[1]);
        Segments[SegmentIndex.Es] = V86Segment((ushort)v[2]);
        Segments[SegmentIndex.Ds] = V86Segment((ushort)v[3]);
        Segments[SegmentIndex.Fs] = V86Segment((ushort)v[4]);
        Segments[SegmentIndex.Gs] = V86Segment((ushort)v[5]);
        CommitSegment(SegmentIndex.Cs, V86Segment(cs));
        NextRip = eip & 0xFFFF;
        return true;
    }
}
