using System.Runtime.CompilerServices;
using JitVirt.Cpu;
using JitVirt.Cpu.State;
using JitVirt.Cpu.Virtualization;

namespace JitVirt.Vmx;

/// <summary>
/// VM entry (VMLAUNCH/VMRESUME, SDM vol.3C ch.27) and VM exit (ch.28) of the processor model:
/// guest state moves between the current VMCS and the <see cref="JitVirt.Cpu.Cpu"/>, the exit
/// information fields are written, events are injected. The processor may cache VMCS data
/// (§25.11.1): after an exit the Cpu holds exactly the saved guest state, so an entry reloads only
/// RIP, RSP, RFLAGS, interruptibility and activity unless the VMM wrote another guest field.
/// </summary>
public sealed partial class VmxHardware
{
    public VmxStatus Vmlaunch() => Enter(launch: true);
    public VmxStatus Vmresume() => Enter(launch: false);

    /// <summary>Number of VM entries that reached the guest (statistics and tests).</summary>
    public long Entries { get; private set; }

    VmxStatus Enter(bool launch)
    {
        if (!InVmxOperation) return VmxStatus.InvalidOpcode;
        if (_vmcs is null) return VmxStatus.FailInvalid;
        if ((F(SlotInterruptibility) & Interruptibility.BlockingByMovSs) != 0) return VmFail(VmInstructionError.EntryEventsBlockedByMovSs);
        var state = Vmcs.LaunchState(_vmcs);
        if (launch && state != VmcsLaunchState.Clear) return VmFail(VmInstructionError.VmlaunchNonClearVmcs);
        if (!launch && state != VmcsLaunchState.Launched) return VmFail(VmInstructionError.VmresumeNonLaunchedVmcs);
        if (_controlsDirty || launch)
        {
            if (!ControlsValid()) return VmFail(VmInstructionError.EntryInvalidControlFields);
            if (!HostStateValid()) return VmFail(VmInstructionError.EntryInvalidHostStateFields);
        }
        if ((_guestDirty || launch) && _guestStateCached) WriteBackGuestState();
        if ((_guestDirty || launch) && !GuestStateValid())
        {
            // §27.8: a VM exit with reason 33 and bit 31; the guest never ran.
            WriteExitFields(ExitReason.EntryFailure | ExitReason.InvalidGuestState, 0, 0, 0, 0, default);
            return VmxStatus.EntryFailedWithExit;
        }
        if (launch) Vmcs.SetLaunchState(_vmcs, VmcsLaunchState.Launched);
        if (_controlsDirty || launch) ApplyControls();
        if (_guestDirty || launch) { if (_guestStateCached) WriteBackGuestState(); LoadFullGuestState(); }
        else LoadCheapGuestState();
        _guestDirty = false;
        EnterTranslationContext();
        InGuest = true;
        Entries++;
        _cpu.NextRip = _cpu.Rip;
        RequestEntryChecks();
        uint entryInfo = (uint)F(SlotEntryIntInfo);
        if (InterruptionInfo.IsValid(entryInfo))
        {
            InjectEntryEvent(entryInfo);
            _cpu.NextRip = _cpu.Rip;   // the executor continues at the handler, not after the exiting instruction
        }
        return VmxStatus.Succeed;
    }

    /// <summary>
    /// What the executor must look at after this entry. An entry resuming the instruction after an
    /// exit continues in the current block (an exit stub sees RIP at its next instruction and goes
    /// on); a full state load raises <see cref="PendingEvent.ModeChanged"/> itself (UpdateMode), an
    /// injection through <see cref="JitVirt.Cpu.Cpu.InjectEvent"/>, a changed RFLAGS through SetRflags.
    /// Left to raise here: an activity state of HLT, and the event checks at the entry's instruction
    /// boundary (SDM vol.3C §27.7: interrupt-window exiting with the window open, or an interrupt or NMI
    /// pending at the controller) — only when one can fire, so a plain CPUID/IN/OUT/RDMSR exit costs no
    /// block lookup.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void RequestEntryChecks()
    {
        var cpu = _cpu;
        if (cpu.Halted) cpu.Pending |= PendingEvent.ModeChanged;
        if ((_proc & ProcControls.InterruptWindowExiting) != 0
            || (cpu.Interrupts is { } source && (source.HasPendingInterrupt || source.HasPendingNmi)))
            cpu.Pending |= PendingEvent.InterruptCheck;
    }

    /// <summary>Without VPID every entry invalidates the cached translations (SDM vol.3C §29.4.3.1); with VPID the guest's are tagged by it.</summary>
    void EnterTranslationContext()
    {
        if ((_proc2 & SecondaryControls.EnableVpid) != 0) _cpu.SetTranslationTag(_vpid);
        else
        {
            _cpu.SetTranslationTag(0);
            _cpu.FlushTlb();
            EntryTlbFlushes++;
        }
    }

    /// <summary>Full TLB flushes VM entries did because VPID was off (statistics).</summary>
    public long EntryTlbFlushes { get; private set; }

    /// <summary>Events VM entries injected from the VM-entry interruption-information field (statistics).</summary>
    public long EventsInjected { get; private set; }

    /// <summary>VM-entry event injection (SDM vol.3C §27.6): delivered through the guest IDT as if before the instruction at RIP.</summary>
    void InjectEntryEvent(uint info)
    {
        EventsInjected++;
        byte vector = InterruptionInfo.Vector(info);
        uint type = InterruptionInfo.Type(info);
        ulong next = _cpu.Rip + F(SlotEntryLength);
        var (kind, returnRip) = type switch
        {
            InterruptionType.ExternalInterrupt or InterruptionType.Nmi => (EventKind.External, _cpu.Rip),
            InterruptionType.HardwareException => (EventKind.Fault, _cpu.Rip),
            InterruptionType.PrivilegedSoftwareException => (EventKind.Trap, next),
            _ => (EventKind.Software, next),
        };
        _cpu.InjectEvent(vector, kind, type == InterruptionType.Nmi, InterruptionInfo.HasErrorCode(info), (uint)F(SlotEntryError), returnRip & _cpu.IpMask);
    }

    void LoadCheapGuestState()
    {
        var cpu = _cpu;
        cpu.Rip = F(SlotRip);
        cpu.Gpr[Gpr.Rsp] = F(SlotRsp);
        ulong rflags = F(SlotRflags);
        if (rflags != cpu.RflagsStatic || cpu.LazyOp != FlagOp.None) cpu.SetRflags(rflags);
        uint intr = (uint)F(SlotInterruptibility);
        cpu.InterruptShadow = (intr & 3) != 0;
        cpu.NmiBlocked = (intr & Interruptibility.BlockingByNmi) != 0;
        cpu.Halted = F(SlotActivity) == ActivityState.Hlt;
    }

    void LoadFullGuestState()
    {
        var cpu = _cpu;
        cpu.Cr0 = F(SlotCr0);
        if (cpu.Cr3 != F(SlotCr3)) cpu.Cr3 = F(SlotCr3);
        cpu.Cr4 = F(SlotCr4);
        cpu.Dr[7] = F(SlotDr7);
        for (int s = 0; s < SegmentIndex.Count; s++) cpu.Segments[s] = SegmentFromVmcs(s);
        cpu.Ldtr = SegmentFromVmcs(6);
        cpu.Tr = SegmentFromVmcs(7);
        cpu.Gdtr = new DescriptorTableRegister { Base = F(SlotGdtrBase), Limit = (uint)F(SlotGdtrLimit) };
        cpu.Idtr = new DescriptorTableRegister { Base = F(SlotIdtrBase), Limit = (uint)F(SlotIdtrLimit) };
        cpu.Msrs.SysenterCs = F(SlotSysenterCs);
        cpu.Msrs.SysenterEsp = F(SlotSysenterEsp);
        cpu.Msrs.SysenterEip = F(SlotSysenterEip);
        // §27.3.2.1: EFER.LMA (and, without the "load EFER" control, nothing else) follows the "IA-32e mode guest" control.
        if ((F(SlotEntryCtl) & EntryControls.Ia32eModeGuest) != 0) cpu.Efer |= Efer.LMA | Efer.LME; else cpu.Efer &= ~Efer.LMA;
        cpu.SetRflags(F(SlotRflags));
        LoadCheapGuestState();
        cpu.UpdateMode();
    }

    SegmentRegister SegmentFromVmcs(int s) => new()
    {
        Selector = (ushort)F(SlotSelector[s]),
        Base = F(SlotBase[s]),
        Limit = (uint)F(SlotLimit[s]),
        AccessRights = (uint)F(SlotAr[s]),
    };

    /// <summary>
    /// True while the rest of the guest-state area lives only in the Cpu (the processor's VMCS cache,
    /// SDM vol.3C §25.11.1): an exit saves RIP, RSP, RFLAGS, interruptibility and activity at once and
    /// the other guest fields when software first reads or writes one, or the VMCS is cleared or replaced.
    /// </summary>
    bool _guestStateCached;

    /// <summary>Saves the Cpu's guest state into the guest-state area (SDM vol.3C §28.3): the fields exits always change now, the rest on demand.</summary>
    void SaveGuestState()
    {
        var cpu = _cpu;
        var v = _vmcs!;
        v[SlotRip] = cpu.Rip;
        v[SlotRsp] = cpu.Gpr[Gpr.Rsp];
        v[SlotRflags] = cpu.GetRflags();
        v[SlotInterruptibility] = (cpu.InterruptShadow ? Interruptibility.BlockingBySti : 0) | (cpu.NmiBlocked ? Interruptibility.BlockingByNmi : 0);
        v[SlotActivity] = cpu.Halted ? ActivityState.Hlt : ActivityState.Active;
        // IA32_VMX_MISC bit 5: an exit stores EFER.LMA into the "IA-32e mode guest" entry control (§28.2).
        ref ulong entry = ref v[SlotEntryCtl];
        entry = (cpu.Efer & Efer.LMA) != 0 ? entry | EntryControls.Ia32eModeGuest : entry & ~(ulong)EntryControls.Ia32eModeGuest;
        if (!_guestDirty) _guestStateCached = true;
        else WriteBackGuestState();
    }

    /// <summary>The rest of the guest-state area, from the Cpu.</summary>
    void WriteBackGuestState()
    {
        _guestStateCached = false;
        var cpu = _cpu;
        var v = _vmcs!;
        // JitVirt completes single-step and data-breakpoint traps inside the instruction, so none is pending at an exit.
        v[SlotPendingDebug] = 0;
        v[SlotCr0] = cpu.Cr0;
        v[SlotCr3] = cpu.Cr3;
        v[SlotCr4] = cpu.Cr4;
        v[SlotDr7] = cpu.Dr[7];
        for (int s = 0; s < SegmentIndex.Count; s++) SaveSegment(s, in cpu.Segments[s]);
        SaveSegment(6, in cpu.Ldtr);
        SaveSegment(7, in cpu.Tr);
        v[SlotGdtrBase] = cpu.Gdtr.Base; v[SlotGdtrLimit] = cpu.Gdtr.Limit;
        v[SlotIdtrBase] = cpu.Idtr.Base; v[SlotIdtrLimit] = cpu.Idtr.Limit;
        v[SlotSysenterCs] = (uint)cpu.Msrs.SysenterCs;
        v[SlotSysenterEsp] = cpu.Msrs.SysenterEsp;
        v[SlotSysenterEip] = cpu.Msrs.SysenterEip;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void SaveSegment(int s, in SegmentRegister r)
    {
        var v = _vmcs!;
        v[SlotSelector[s]] = r.Selector;
        v[SlotBase[s]] = r.Base;
        v[SlotLimit[s]] = r.Limit;
        v[SlotAr[s]] = r.AccessRights;
    }

    /// <summary>
    /// A VM exit (SDM vol.3C ch.28): saves the guest state, writes the exit-information fields and
    /// the IDT-vectoring information of an event whose delivery the exit interrupted, clears the
    /// entry interruption-information valid bit (§28.2.4... §27.2.4 of older editions), and jumps to the VMM.
    /// </summary>
    public void VmExit(uint reason, ulong qualification, int instructionLength, uint interruptionInfo = 0, uint interruptionError = 0, ulong guestLinear = 0)
    {
        SaveGuestState();
        WriteExitFields(reason, qualification, instructionLength, interruptionInfo, interruptionError, _cpu.EventInDelivery);
        _vmcs![SlotLinear] = guestLinear;
        InGuest = false;
        _host!.OnVmExit();
    }

    /// <summary>
    /// The exit the machine's time slice ends with (the executor ran out of budget or a device asked
    /// to stop): in 2007 a host timer interrupt, an EXTERNAL_INTERRUPT exit KVM handled by resuming
    /// after the host had run. The guest state is saved and the exit fields say so; the VMM's
    /// handler is not called (the host is what stopped the guest).
    /// </summary>
    public void PreemptionExit()
    {
        if (!InGuest) return;
        SaveGuestState();
        WriteExitFields(ExitReason.ExternalInterrupt, 0, 0, 0, 0, default);
        InGuest = false;
    }

    void WriteExitFields(uint reason, ulong qualification, int length, uint intInfo, uint intError, in EventInDelivery delivery)
    {
        var v = _vmcs!;
        v[SlotExitReason] = reason;
        v[SlotQualification] = qualification;
        v[SlotExitInstructionLength] = (uint)length;
        v[SlotExitInstructionInfo] = 0;
        v[SlotExitIntInfo] = intInfo;
        v[SlotExitIntError] = intError;
        v[SlotEntryIntInfo] &= ~(ulong)InterruptionInfo.Valid;
        if (delivery.Valid)
        {
            v[SlotIdtInfo] = InterruptionInfo.Make(delivery.Vector, IdtVectoringType(delivery), delivery.HasErrorCode);
            v[SlotIdtError] = delivery.ErrorCode;
        }
        else v[SlotIdtInfo] = v[SlotIdtError] = 0;
    }

    /// <summary>
    /// The interruption type of an event in delivery (SDM vol.3C §28.2.4). The executor's event record
    /// does not tell INT3/INTO (type 6) from INT n (type 4); vectors 3 and 4 raised by software are
    /// taken as INT3/INTO, which CD 03 / CD 04 are not.
    /// </summary>
    static uint IdtVectoringType(in EventInDelivery e) => e.Kind switch
    {
        EventKind.External => e.IsNmi ? InterruptionType.Nmi : InterruptionType.ExternalInterrupt,
        EventKind.Software => e.Vector is 3 or 4 ? InterruptionType.SoftwareException : InterruptionType.SoftwareInterrupt,
        EventKind.Trap when e.Vector == 1 => InterruptionType.HardwareException,
        _ => InterruptionType.HardwareException,
    };
}
