using JitVirt.Cpu.Memory;
using JitVirt.Cpu.State;

namespace JitVirt.Cpu;

/// <summary>What started a task switch (SDM vol.3 §8.3, Table 8-2: it decides the busy bits, NT and the back link).</summary>
public enum TaskSwitchSource : byte
{
    Jmp,
    Call,
    Iret,
    InterruptOrException,
}

/// <summary>
/// Hardware task switching with 32-bit and 16-bit TSSs (SDM vol.3 §8.3), and the TSS stack
/// pointers used by privilege-level changes (§5.8.5, §6.12.1, §8.7).
/// </summary>
public sealed partial class Cpu
{
    static bool IsTss32Type(uint type) => type is SystemDescriptorType.Tss32Available or SystemDescriptorType.Tss32Busy;

    /// <summary>
    /// Reads SS:ESP for privilege level <paramref name="ring"/> (0-2) from the current 32-bit or
    /// 16-bit TSS (SDM vol.2 CALL "MORE-PRIVILEGE", vol.3 §7.12.1). Returns false after raising
    /// #TS(TR selector) when the fields lie beyond the TSS limit, or a #PF.
    /// </summary>
    public bool TryReadTssStack(int ring, out ushort ss, out ulong rsp)
    {
        ss = 0;
        rsp = 0;
        bool tss32 = IsTss32Type(Tr.AccessRights & SegmentRegister.TypeMask);
        uint offset = tss32 ? (uint)(ring * 8 + 4) : (uint)(ring * 4 + 2);
        uint last = tss32 ? offset + 5 : offset + 3;
        if (last > Tr.Limit)
        {
            RaiseFault(ExceptionVector.InvalidTss, SelectorErrorCode(Tr.Selector));
            return false;
        }
        ulong at = (Tr.Base + offset) & 0xFFFF_FFFF;
        if (tss32)
        {
            rsp = ReadLinear<uint>(at, false);
            ss = ReadLinear<ushort>(at + 4, false);
        }
        else
        {
            rsp = ReadLinear<ushort>(at, false);
            ss = ReadLinear<ushort>(at + 2, false);
        }
        return !Faulted;
    }

    /// <summary>
    /// Reads a stack pointer from the 64-bit TSS (SDM vol.3 §8.7, Figure 8-11): 0-2 select RSP0-2,
    /// 3-9 select IST1-IST7. The value is returned as stored (the caller checks canonical form).
    /// Returns false after raising #TS(TR selector) when beyond the TSS limit, or a #PF.
    /// </summary>
    public bool TryReadTss64Stack(int ringOrIst, out ulong rsp)
    {
        rsp = 0;
        uint offset = ringOrIst < 3 ? (uint)(4 + ringOrIst * 8) : (uint)(0x24 + (ringOrIst - 3) * 8);
        if (offset + 7 > Tr.Limit)
        {
            RaiseFault(ExceptionVector.InvalidTss, SelectorErrorCode(Tr.Selector));
            return false;
        }
        rsp = ReadLinear<ulong>(Tr.Base + offset, false);
        return !Faulted;
    }

    /// <summary>
    /// Switches to the task whose TSS descriptor <paramref name="tssSelector"/> names (SDM vol.3
    /// §8.3). Checks the descriptor the way <paramref name="source"/> requires (TI = 0, within the
    /// GDT, an available TSS — a busy one for IRET — present), saves the outgoing state into the
    /// current TSS with EIP = <see cref="NextRip"/> (event delivery sets NextRip to the return
    /// address first), updates the busy bits, NT and the back link, and loads the new task. Errors
    /// found before the outgoing state is saved leave everything unchanged; errors found while
    /// loading the new task's LDTR and segment registers are raised in the new task's context
    /// (RIP = the new task's EIP). For <see cref="TaskSwitchSource.InterruptOrException"/> the
    /// DPL checks are the caller's, <paramref name="hasErrorCode"/> pushes <paramref name="errorCode"/>
    /// on the new task's stack, and <paramref name="external"/> sets EXT in the error codes of
    /// faults raised here. Privilege checks of JMP/CALL are done by the far-transfer code.
    /// Returns false after raising a fault; on success <see cref="Rip"/> and <see cref="NextRip"/>
    /// both hold the new task's EIP.
    /// </summary>
    public bool TaskSwitch(ushort tssSelector, TaskSwitchSource source, bool hasErrorCode = false, uint errorCode = 0, bool external = false)
    {
        if (TaskSwitchExits(tssSelector, source, hasErrorCode, errorCode))
        {
            // The front end took the switch as a VM exit and left the state the guest continues from.
            NextRip = Rip;
            return true;
        }
        bool isIret = source == TaskSwitchSource.Iret;
        bool nests = source is TaskSwitchSource.Call or TaskSwitchSource.InterruptOrException;
        uint ext = external && source == TaskSwitchSource.InterruptOrException ? 1u : 0u;
        uint selErr = SelectorErrorCode(tssSelector) | ext;
        byte badTss = isIret ? ExceptionVector.InvalidTss : ExceptionVector.GeneralProtection;

        // ---- the new TSS descriptor ----
        if ((tssSelector & 4) != 0 || !TryReadDescriptor(tssSelector, out var nd, out ulong ndAddress))
        {
            if (!Faulted) RaiseFault(badTss, selErr);
            return false;
        }
        bool typeOk = !nd.IsCodeOrData && (isIret
            ? nd.Type is SystemDescriptorType.Tss16Busy or SystemDescriptorType.Tss32Busy
            : nd.Type is SystemDescriptorType.Tss16Available or SystemDescriptorType.Tss32Available);
        if (!typeOk) { RaiseFault(badTss, selErr); return false; }
        if (!nd.IsPresent) { RaiseFault(ExceptionVector.SegmentNotPresent, selErr); return false; }

        bool new32 = IsTss32Type(nd.Type);
        if (nd.Limit < (new32 ? 0x67u : 0x2Bu)) { RaiseFault(ExceptionVector.InvalidTss, selErr); return false; }
        bool old32 = IsTss32Type(Tr.AccessRights & SegmentRegister.TypeMask);
        if (Tr.Limit < (old32 ? 0x5Fu : 0x29u)) { RaiseFault(ExceptionVector.InvalidTss, SelectorErrorCode(Tr.Selector) | ext); return false; }
        ulong nbase = nd.Base & 0xFFFF_FFFF;
        ulong obase = Tr.Base & 0xFFFF_FFFF;

        // ---- read the whole incoming state before changing anything ----
        Span<uint> gpr = stackalloc uint[8];
        uint newEip, newFlags, newCr3 = 0, trapWord = 0;
        ushort es, cs, ss, ds, fs = 0, gs = 0, ldt;
        if (new32)
        {
            newCr3 = ReadLinear<uint>(nbase + 0x1C, false);
            newEip = ReadLinear<uint>(nbase + 0x20, false);
            newFlags = ReadLinear<uint>(nbase + 0x24, false);
            for (int r = 0; r < 8; r++) gpr[r] = ReadLinear<uint>(nbase + 0x28 + (ulong)(4 * r), false);
            es = ReadLinear<ushort>(nbase + 0x48, false);
            cs = ReadLinear<ushort>(nbase + 0x4C, false);
            ss = ReadLinear<ushort>(nbase + 0x50, false);
            ds = ReadLinear<ushort>(nbase + 0x54, false);
            fs = ReadLinear<ushort>(nbase + 0x58, false);
            gs = ReadLinear<ushort>(nbase + 0x5C, false);
            ldt = ReadLinear<ushort>(nbase + 0x60, false);
            trapWord = ReadLinear<ushort>(nbase + 0x64, false);
        }
        else
        {
            newEip = ReadLinear<ushort>(nbase + 0x0E, false);
            newFlags = ReadLinear<ushort>(nbase + 0x10, false);
            // A 16-bit TSS holds only the low words; the upper words read as 0xFFFF, as on the 386/486 (Bochs, "matches real hardware").
            for (int r = 0; r < 8; r++) gpr[r] = 0xFFFF_0000u | ReadLinear<ushort>(nbase + 0x12 + (ulong)(2 * r), false);
            es = ReadLinear<ushort>(nbase + 0x22, false);
            cs = ReadLinear<ushort>(nbase + 0x24, false);
            ss = ReadLinear<ushort>(nbase + 0x26, false);
            ds = ReadLinear<ushort>(nbase + 0x28, false);
            ldt = ReadLinear<ushort>(nbase + 0x2A, false);
        }
        if (Faulted) return false;

        // Everything that will be written must be writable now, so the switch cannot stop half way.
        if (old32 ? !ProbeWriteLinear(obase + 0x20, 0x3E, false) : !ProbeWriteLinear(obase + 0x0E, 0x1C, false)) return false;
        if (nests && !ProbeWriteLinear(nbase, 2, false)) return false;
        ulong oldDescriptorByte = ((Gdtr.Base + (ulong)(Tr.Selector & ~7)) & (IsLongModeActive ? ulong.MaxValue : 0xFFFF_FFFF)) + 5;
        if ((source is TaskSwitchSource.Jmp or TaskSwitchSource.Iret) && !ProbeWriteLinear(oldDescriptorByte, 1, false)) return false;
        if (!isIret && !ProbeWriteLinear(ndAddress + 5, 1, false)) return false;

        // ---- save the outgoing task (nothing below faults before the commit point) ----
        if (source is TaskSwitchSource.Jmp or TaskSwitchSource.Iret)
            WriteLinear(oldDescriptorByte, (byte)(ReadLinear<byte>(oldDescriptorByte, false) & ~2), false);
        ulong oldFlags = GetRflags();
        if (isIret) oldFlags &= ~Rflags.NT;
        if (old32)
        {
            WriteLinear(obase + 0x20, (uint)NextRip, false);
            WriteLinear(obase + 0x24, (uint)oldFlags, false);
            for (int r = 0; r < 8; r++) WriteLinear(obase + 0x28 + (ulong)(4 * r), (uint)Gpr[r], false);
            for (int s = 0; s < SegmentIndex.Count; s++) WriteLinear(obase + 0x48 + (ulong)(4 * s), Segments[s].Selector, false);
        }
        else
        {
            WriteLinear(obase + 0x0E, (ushort)NextRip, false);
            WriteLinear(obase + 0x10, (ushort)oldFlags, false);
            for (int r = 0; r < 8; r++) WriteLinear(obase + 0x12 + (ulong)(2 * r), (ushort)Gpr[r], false);
            for (int s = 0; s < 4; s++) WriteLinear(obase + 0x22 + (ulong)(2 * s), Segments[s].Selector, false);
        }
        if (nests) WriteLinear(nbase, Tr.Selector, false);
        if (!isIret) WriteLinear(ndAddress + 5, (byte)(ReadLinear<byte>(ndAddress + 5, false) | 2), false);

        // ---- commit point: the new task's context from here on ----
        Tr = nd.ToSegmentRegister(tssSelector);
        Tr.AccessRights |= 2; // busy
        Cr0 |= State.Cr0.TS;
        Dr[7] &= ~0x155ul; // L0-L3 and LE are cleared by a task switch (SDM vol.3 §18.2.4)
        if (nests) newFlags |= (uint)Rflags.NT;

        Rip = NextRip = newEip;
        for (int r = 0; r < 8; r++) Gpr[r] = gpr[r];
        SetRflags(newFlags);
        ushort[] raw = [es, cs, ss, ds, fs, gs];
        // Selectors are loaded first with unusable caches; CS keeps RPL as its DPL so CPL is the
        // new task's even when a check below faults (the fault belongs to the new task).
        for (int s = 0; s < SegmentIndex.Count; s++) Segments[s] = NullSegment(raw[s], s == SegmentIndex.Cs ? cs & 3 : 0);
        Ldtr = NullSegment(ldt);
        if (new32 && IsPagingEnabled && newCr3 != Cr3)
        {
            Cr3 = newCr3;
            FlushTlb();
        }

        if (!LoadNewTaskSegments(raw, ldt))
        {
            UpdateMode();
            if (Faulted && PendingException.HasErrorCode) PendingException.ErrorCode |= ext;
            return false;
        }
        UpdateMode();

        if (hasErrorCode && source == TaskSwitchSource.InterruptOrException)
        {
            var stack = CurrentStack();
            stack.ErrorCode = ext;
            int size = new32 ? 4 : 2;
            if (!ProbePushes(stack, 1, size)) return false;
            PushUnchecked(ref stack, errorCode, size);
            Gpr[State.Gpr.Rsp] = stack.Rsp;
        }
        if (Rip > Segments[SegmentIndex.Cs].Limit) { RaiseGeneralProtection(ext); return false; }
        if (new32 && (trapWord & 1) != 0)
        {
            // T flag of the new TSS: a debug trap before the new task's first instruction (SDM vol.3 §18.2.3 BT).
            Dr[6] |= 1ul << 15;
            RaiseFault(ExceptionVector.Debug);
            PendingException.IsTrap = true;
        }
        return !Faulted;
    }

    /// <summary>Step 11 of SDM vol.3 §8.3: LDTR, then SS, DS, ES, FS, GS and CS of the new task, each checked (#TS/#NP/#SS with the selector).</summary>
    bool LoadNewTaskSegments(ushort[] raw, ushort ldt)
    {
        if ((ldt & 4) != 0) { RaiseFault(ExceptionVector.InvalidTss, SelectorErrorCode(ldt)); return false; }
        if (!IsNullSelector(ldt))
        {
            if (!TryReadDescriptor(ldt, out var ld, out _) || ld.IsCodeOrData || ld.Type != SystemDescriptorType.Ldt || !ld.IsPresent)
            {
                if (!Faulted) RaiseFault(ExceptionVector.InvalidTss, SelectorErrorCode(ldt));
                return false;
            }
            Ldtr = ld.ToSegmentRegister(ldt);
        }

        if ((RflagsStatic & Rflags.VM) != 0)
        {
            for (int s = 0; s < SegmentIndex.Count; s++) Segments[s] = V86Segment(raw[s]);
            return true;
        }

        ushort csSel = raw[SegmentIndex.Cs];
        int newCpl = csSel & 3;
        ReadOnlySpan<int> order = [SegmentIndex.Ss, SegmentIndex.Ds, SegmentIndex.Es, SegmentIndex.Fs, SegmentIndex.Gs];
        foreach (int s in order)
        {
            if (!TryCheckSegmentLoad(s, raw[s], newCpl, ExceptionVector.InvalidTss, out var loaded, out ulong address, out var descriptor)) return false;
            if (!IsNullSelector(raw[s]))
            {
                SetDescriptorAccessed(address, descriptor);
                if (Faulted) return false;
            }
            Segments[s] = loaded;
        }

        uint csErr = SelectorErrorCode(csSel);
        if (IsNullSelector(csSel)) { RaiseFault(ExceptionVector.InvalidTss, csErr); return false; }
        if (!TryReadDescriptor(csSel, out var cd, out ulong csAddress))
        {
            if (!Faulted) RaiseFault(ExceptionVector.InvalidTss, csErr);
            return false;
        }
        if (!cd.IsCode || (cd.IsConforming ? cd.Dpl > newCpl : cd.Dpl != newCpl))
        {
            RaiseFault(ExceptionVector.InvalidTss, csErr);
            return false;
        }
        if (!cd.IsPresent) { RaiseFault(ExceptionVector.SegmentNotPresent, csErr); return false; }
        SetDescriptorAccessed(csAddress, cd);
        if (Faulted) return false;
        Segments[SegmentIndex.Cs] = CodeSegmentFor(cd, csSel, newCpl);
        return true;
    }
}
