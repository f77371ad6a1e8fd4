using System.Runtime.CompilerServices;
using Iced.Intel;
using JitVirt.Cpu;
using JitVirt.Cpu.State;
using JitVirt.Cpu.Virtualization;
using Reg = Iced.Intel.Register;

namespace JitVirt.Vmx;

/// <summary>
/// What causes a VM exit under the current VM-execution controls (SDM vol.3C §26.1, §26.2), decided
/// by the processor model for the executor: at decode time (<see cref="MayIntercept"/>: which
/// instructions get exit stubs) and at run time (the exit itself with its qualification, or the
/// completion of a CR0/CR4 access through the guest/host masks and read shadows, §26.3).
/// The controls are decoded at VM entry when the VMM wrote one; a change that alters which
/// instructions may exit drops the translated code (the IL JIT compiles stubs from them).
/// </summary>
public sealed partial class VmxHardware
{
    uint _pin, _proc, _proc2, _exceptionBitmap, _pfMask, _pfMatch, _cr3Count;
    ulong _cr0Mask, _cr4Mask, _cr0Shadow, _cr4Shadow;
    readonly ulong[] _cr3Targets = new ulong[VmxCapabilities.Cr3TargetValues];
    IoBitmaps _ioBitmaps;
    MsrBitmap _msrBitmap;
    uint _vpid;
    (uint Proc, uint Proc2, ulong Cr0Mask, ulong Cr4Mask, long IoGeneration) _stubSignature = (uint.MaxValue, 0, 0, 0, 0);

    /// <summary>The controls as last decoded at VM entry (tests and the VMM's statistics read them).</summary>
    public uint ProcessorControls => _proc;

    void ApplyControls()
    {
        _pin = (uint)F(SlotPin);
        _proc = (uint)F(SlotProc);
        _proc2 = (_proc & ProcControls.ActivateSecondaryControls) != 0 ? (uint)F(SlotProc2) : 0;
        _exceptionBitmap = (uint)F(SlotExceptionBitmap);
        _pfMask = (uint)F(SlotPfMask);
        _pfMatch = (uint)F(SlotPfMatch);
        _cr0Mask = F(SlotCr0Mask); _cr4Mask = F(SlotCr4Mask);
        _cr0Shadow = F(SlotCr0Shadow); _cr4Shadow = F(SlotCr4Shadow);
        _cr3Count = (uint)F(SlotCr3Count);
        for (int k = 0; k < _cr3Targets.Length; k++) _cr3Targets[k] = F(SlotCr3Target0 + k);
        _ioBitmaps = new IoBitmaps(Memory, F(SlotIoA), F(SlotIoB));
        _msrBitmap = new MsrBitmap(Memory, F(SlotMsrBitmap));
        _vpid = (ushort)F(SlotVpid);
        // §25.6.5: with "use TSC offsetting" RDTSC returns the host TSC plus TSC_OFFSET.
        _cpu.Msrs.Tsc = _cpu.Msrs.TimeSource.Now(_cpu) + ((_proc & ProcControls.UseTscOffsetting) != 0 ? F(SlotTscOffset) : 0);
        _controlsDirty = false;

        const uint dynamicOnly = ProcControls.InterruptWindowExiting | ProcControls.UseTscOffsetting | ProcControls.NmiWindowExiting;
        var signature = (_proc & ~dynamicOnly, _proc2, _cr0Mask, _cr4Mask, (_proc & ProcControls.UseIoBitmaps) != 0 ? Memory.Generation : 0);
        if (signature != _stubSignature)
        {
            _stubSignature = signature;
            _cpu.InvalidateTranslatedCode();
        }
    }

    /// <summary>A bitmap page changed since the controls were decoded: decode again at the next entry.</summary>
    public void NoteBitmapsChanged() => _controlsDirty = true;

    bool Proc(uint bit) => (_proc & bit) != 0;

    // ------------------------------------------------------------------ decode time

    /// <summary>Could <paramref name="i"/> exit (or need a read shadow) under the current controls?</summary>
    public bool MayIntercept(in Instruction i)
    {
        switch (i.Mnemonic)
        {
            // §26.1.2: instructions that cause VM exits unconditionally.
            case Mnemonic.Cpuid or Mnemonic.Invd or Mnemonic.Getsec or Mnemonic.Xsetbv or Mnemonic.Vmcall or Mnemonic.Vmlaunch
                or Mnemonic.Vmresume or Mnemonic.Vmxoff or Mnemonic.Vmxon or Mnemonic.Vmclear or Mnemonic.Vmptrld
                or Mnemonic.Vmptrst or Mnemonic.Vmread or Mnemonic.Vmwrite or Mnemonic.Invept or Mnemonic.Invvpid:
                return true;
            case Mnemonic.Hlt: return Proc(ProcControls.HltExiting);
            case Mnemonic.Invlpg: return Proc(ProcControls.InvlpgExiting);
            case Mnemonic.Rdtsc or Mnemonic.Rdtscp: return Proc(ProcControls.RdtscExiting);
            case Mnemonic.Rdpmc: return Proc(ProcControls.RdpmcExiting);
            case Mnemonic.Mwait: return Proc(ProcControls.MwaitExiting);
            case Mnemonic.Monitor: return Proc(ProcControls.MonitorExiting);
            case Mnemonic.Pause: return Proc(ProcControls.PauseExiting);
            case Mnemonic.Wbinvd: return (_proc2 & SecondaryControls.WbinvdExiting) != 0;
            case Mnemonic.Rdmsr or Mnemonic.Wrmsr: return true; // the bitmap is consulted with ECX at run time
            case Mnemonic.In or Mnemonic.Out or Mnemonic.Insb or Mnemonic.Insw or Mnemonic.Insd
                or Mnemonic.Outsb or Mnemonic.Outsw or Mnemonic.Outsd:
                if (Proc(ProcControls.UseIoBitmaps))
                {
                    bool immediate = i.Mnemonic == Mnemonic.In ? i.Op1Kind == OpKind.Immediate8 : i.Mnemonic == Mnemonic.Out && i.Op0Kind == OpKind.Immediate8;
                    if (!immediate) return true;   // the port is DX, known only at run time
                    var (port, size) = InterceptStubs.IoAccess(_cpu, in i);   // imm8 port: no register read
                    return _ioBitmaps.IsIntercepted(port, size);
                }
                return Proc(ProcControls.UnconditionalIoExiting);
            case Mnemonic.Clts: return (_cr0Mask & Cr0.TS) != 0;
            case Mnemonic.Lmsw: return (_cr0Mask & 0xF) != 0;
            case Mnemonic.Smsw: return _cr0Mask != 0;
            case Mnemonic.Mov when i.Op0Register.IsDR() || i.Op1Register.IsDR(): return Proc(ProcControls.MovDrExiting);
            case Mnemonic.Mov when i.Op0Register.IsCR() || i.Op1Register.IsCR():
                bool toCr = i.Op0Register.IsCR();
                return (toCr ? i.Op0Register : i.Op1Register) switch
                {
                    Reg.CR0 => _cr0Mask != 0,
                    Reg.CR4 => _cr4Mask != 0,
                    Reg.CR3 => Proc(toCr ? ProcControls.Cr3LoadExiting : ProcControls.Cr3StoreExiting),
                    Reg.CR8 => Proc(toCr ? ProcControls.Cr8LoadExiting : ProcControls.Cr8StoreExiting),
                    _ => false,
                };
            default: return false;
        }
    }

    // ------------------------------------------------------------------ run time

    /// <summary>The instruction that caused the current exit (what KVM's emulator would fetch and decode).</summary>
    public Instruction ExitInstruction;

    /// <summary>
    /// Run time, from an exit stub: takes the VM exit the instruction causes (and runs the VMM), or
    /// completes a shadowed CR0/CR4 access, or returns false to run it normally.
    /// </summary>
    public bool TryInterceptInstruction(in Instruction i)
    {
        if (!InGuest) return false;
        var cpu = _cpu;
        int length = (int)((cpu.NextRip - cpu.Rip) & cpu.IpMask);
        if (length == 0 || length > 15) length = i.Length;
        switch (i.Mnemonic)
        {
            case Mnemonic.Cpuid: return Exit(i, ExitReason.Cpuid, 0, length);
            case Mnemonic.Invd: return Exit(i, ExitReason.Invd, 0, length);
            case Mnemonic.Getsec: return Exit(i, ExitReason.Getsec, 0, length);
            case Mnemonic.Xsetbv: return Exit(i, ExitReason.Xsetbv, 0, length);
            case Mnemonic.Vmcall: return Exit(i, ExitReason.Vmcall, 0, length);
            case Mnemonic.Vmlaunch: return Exit(i, ExitReason.Vmlaunch, 0, length);
            case Mnemonic.Vmresume: return Exit(i, ExitReason.Vmresume, 0, length);
            case Mnemonic.Vmxoff: return Exit(i, ExitReason.Vmxoff, 0, length);
            case Mnemonic.Vmxon: return Exit(i, ExitReason.Vmxon, 0, length);
            case Mnemonic.Vmclear: return Exit(i, ExitReason.Vmclear, 0, length);
            case Mnemonic.Vmptrld: return Exit(i, ExitReason.Vmptrld, 0, length);
            case Mnemonic.Vmptrst: return Exit(i, ExitReason.Vmptrst, 0, length);
            case Mnemonic.Vmread: return Exit(i, ExitReason.Vmread, 0, length);
            case Mnemonic.Vmwrite: return Exit(i, ExitReason.Vmwrite, 0, length);
            case Mnemonic.Invept: return Exit(i, ExitReason.Invept, 0, length);
            case Mnemonic.Invvpid: return Exit(i, ExitReason.Invvpid, 0, length);
            case Mnemonic.Hlt: return Proc(ProcControls.HltExiting) && Exit(i, ExitReason.Hlt, 0, length);
            case Mnemonic.Invlpg:
                if (!Proc(ProcControls.InvlpgExiting)) return false;
                return Exit(i, ExitReason.Invlpg, LinearOf(i), length);
            case Mnemonic.Rdtsc: return Proc(ProcControls.RdtscExiting) && Exit(i, ExitReason.Rdtsc, 0, length);
            case Mnemonic.Rdtscp: return Proc(ProcControls.RdtscExiting) && Exit(i, ExitReason.Rdtscp, 0, length);
            case Mnemonic.Rdpmc: return Proc(ProcControls.RdpmcExiting) && Exit(i, ExitReason.Rdpmc, 0, length);
            case Mnemonic.Mwait: return Proc(ProcControls.MwaitExiting) && Exit(i, ExitReason.Mwait, 0, length);
            case Mnemonic.Monitor: return Proc(ProcControls.MonitorExiting) && Exit(i, ExitReason.Monitor, 0, length);
            case Mnemonic.Pause: return Proc(ProcControls.PauseExiting) && Exit(i, ExitReason.Pause, 0, length);
            case Mnemonic.Wbinvd: return (_proc2 & SecondaryControls.WbinvdExiting) != 0 && Exit(i, ExitReason.Wbinvd, 0, length);
            case Mnemonic.Rdmsr or Mnemonic.Wrmsr:
            {
                bool write = i.Mnemonic == Mnemonic.Wrmsr;
                uint msr = (uint)cpu.Gpr[Gpr.Rcx];
                if (Proc(ProcControls.UseMsrBitmaps) && !_msrBitmap.IsIntercepted(msr, write)) return false;
                return Exit(i, write ? ExitReason.MsrWrite : ExitReason.MsrRead, 0, length);
            }
            case Mnemonic.In or Mnemonic.Out or Mnemonic.Insb or Mnemonic.Insw or Mnemonic.Insd
                or Mnemonic.Outsb or Mnemonic.Outsw or Mnemonic.Outsd:
                return TryIoExit(i, length);
            case Mnemonic.Mov when i.Op0Register.IsDR() || i.Op1Register.IsDR():
            {
                if (!Proc(ProcControls.MovDrExiting)) return false;
                bool fromDr = i.Op1Register.IsDR();
                int dr = (fromDr ? i.Op1Register : i.Op0Register) - Reg.DR0;
                return Exit(i, ExitReason.DrAccess, ExitQualification.DrAccess(dr, fromDr, GprNumber(fromDr ? i.Op0Register : i.Op1Register)), length);
            }
            case Mnemonic.Mov when i.Op0Register.IsCR(): return TryMovToCr(i, length);
            case Mnemonic.Mov when i.Op1Register.IsCR(): return TryMovFromCr(i, length);
            case Mnemonic.Clts: return TryClts(i, length);
            case Mnemonic.Lmsw: return TryLmsw(i, length);
            case Mnemonic.Smsw: return CompleteSmsw(i);
            default: return false;
        }
    }

    static int GprNumber(Reg r) => r.GetFullRegister() - Reg.RAX;

    /// <summary>The linear address of a memory operand (segment base + effective address, truncated outside 64-bit mode).</summary>
    ulong LinearOf(in Instruction i)
    {
        ulong linear = _cpu.Segments[JitVirt.Cpu.Cpu.MemorySegment(i)].Base + _cpu.EffectiveAddress(i);
        return _cpu.Is64BitMode ? linear : linear & 0xFFFF_FFFF;
    }

    bool TryIoExit(in Instruction i, int length)
    {
        var (port, size) = InterceptStubs.IoAccess(_cpu, i);
        bool intercepted = Proc(ProcControls.UseIoBitmaps) ? _ioBitmaps.IsIntercepted(port, size) : Proc(ProcControls.UnconditionalIoExiting);
        if (!intercepted) return false;
        bool isIn = i.Mnemonic is Mnemonic.In or Mnemonic.Insb or Mnemonic.Insw or Mnemonic.Insd;
        bool isString = i.Mnemonic is not (Mnemonic.In or Mnemonic.Out);
        bool immediate = (i.Mnemonic == Mnemonic.In && i.Op1Kind == OpKind.Immediate8) || (i.Mnemonic == Mnemonic.Out && i.Op0Kind == OpKind.Immediate8);
        ulong linear = isString ? StringIoLinear(i, isIn) : 0;
        ulong q = ExitQualification.Io(size, isIn, isString, isString && i.HasRepPrefix, immediate, port);
        return Exit(i, ExitReason.IoInstruction, q, length, linear);
    }

    /// <summary>The guest linear address of a string I/O's memory operand: ES:rDI for INS, seg:rSI for OUTS (SDM vol.3C §28.2.1).</summary>
    ulong StringIoLinear(in Instruction i, bool isIn)
    {
        var kind = isIn ? i.Op0Kind : i.Op1Kind;
        var (index, mask) = kind switch
        {
            OpKind.MemoryESDI or OpKind.MemorySegSI => (isIn ? Gpr.Rdi : Gpr.Rsi, 0xFFFFul),
            OpKind.MemoryESEDI or OpKind.MemorySegESI => (isIn ? Gpr.Rdi : Gpr.Rsi, 0xFFFF_FFFFul),
            _ => (isIn ? Gpr.Rdi : Gpr.Rsi, ulong.MaxValue),
        };
        int seg = isIn ? SegmentIndex.Es : JitVirt.Cpu.Cpu.MemorySegment(i);
        ulong linear = _cpu.Segments[seg].Base + (_cpu.Gpr[index] & mask);
        return _cpu.Is64BitMode ? linear : linear & 0xFFFF_FFFF;
    }

    bool TryMovToCr(in Instruction i, int length)
    {
        var cpu = _cpu;
        int cr = i.Op0Register - Reg.CR0;
        int gpr = GprNumber(i.Op1Register);
        ulong value = cpu.ReadRegisterZx(i.Op1Register);
        ulong q = ExitQualification.CrAccess(cr, ExitQualification.MovToCr, gpr);
        switch (cr)
        {
            case 0:
                // §26.1.3: exits when a bit set in the mask would differ from the read shadow; otherwise only unmasked bits change.
                if (((value ^ _cr0Shadow) & _cr0Mask) != 0) return Exit(i, ExitReason.CrAccess, q, length);
                if (_cr0Mask == 0) return false;
                cpu.TryWriteCr0((cpu.Cr0 & _cr0Mask) | (value & ~_cr0Mask));
                return true;
            case 4:
                if (((value ^ _cr4Shadow) & _cr4Mask) != 0) return Exit(i, ExitReason.CrAccess, q, length);
                if (_cr4Mask == 0) return false;
                WriteCr4Unmasked((cpu.Cr4 & _cr4Mask) | (value & ~_cr4Mask));
                return true;
            case 3:
                if (!Proc(ProcControls.Cr3LoadExiting)) return false;
                for (int k = 0; k < _cr3Count; k++) if (_cr3Targets[k] == value) return false;   // §26.1.3 CR3-target values
                return Exit(i, ExitReason.CrAccess, q, length);
            case 8: return Proc(ProcControls.Cr8LoadExiting) && Exit(i, ExitReason.CrAccess, q, length);
            default: return false;
        }
    }

    /// <summary>The unmasked CR4 bits of a MOV to CR4 that does not exit: the CPU's own checks, with VMXE (fixed to 1 in VMX operation) allowed.</summary>
    void WriteCr4Unmasked(ulong value)
    {
        var cpu = _cpu;
        if ((value & ~(cpu.Cr4Writable | Cr4.VMXE)) != 0) { cpu.RaiseGeneralProtection(0); return; }
        ulong old = cpu.Cr4;
        cpu.Cr4 = value;
        if (((old ^ value) & (Cr4.PGE | Cr4.PSE | Cr4.PAE)) != 0) cpu.FlushTlb();
        cpu.Pending |= PendingEvent.ModeChanged;
    }

    bool TryMovFromCr(in Instruction i, int length)
    {
        var cpu = _cpu;
        int cr = i.Op1Register - Reg.CR0;
        switch (cr)
        {
            case 0:
                cpu.WriteRegisterSized(i.Op0Register, (cpu.Cr0 & ~_cr0Mask) | (_cr0Shadow & _cr0Mask));   // §26.3: read shadow, no exit
                return true;
            case 4:
                cpu.WriteRegisterSized(i.Op0Register, (cpu.Cr4 & ~_cr4Mask) | (_cr4Shadow & _cr4Mask));
                return true;
            case 3: return Proc(ProcControls.Cr3StoreExiting) && Exit(i, ExitReason.CrAccess, ExitQualification.CrAccess(3, ExitQualification.MovFromCr, GprNumber(i.Op0Register)), length);
            case 8: return Proc(ProcControls.Cr8StoreExiting) && Exit(i, ExitReason.CrAccess, ExitQualification.CrAccess(8, ExitQualification.MovFromCr, GprNumber(i.Op0Register)), length);
            default: return false;
        }
    }

    bool TryClts(in Instruction i, int length)
    {
        if ((_cr0Mask & Cr0.TS) == 0) return false;
        if ((_cr0Shadow & Cr0.TS) != 0) return Exit(i, ExitReason.CrAccess, ExitQualification.CrAccess(0, ExitQualification.Clts), length);
        return true; // §26.3: mask 1, shadow 0: CLTS leaves CR0.TS alone
    }

    bool TryLmsw(in Instruction i, int length)
    {
        var cpu = _cpu;
        bool memory = i.Op0Kind == OpKind.Memory;
        ushort source = cpu.ReadOperand<ushort>(i, 0);
        if (cpu.Faulted) return true;
        // §26.1.3: LMSW exits when it would set a masked PE that the shadow has clear, or change a masked MP/EM/TS.
        bool exits = ((_cr0Mask & Cr0.PE) != 0 && (_cr0Shadow & Cr0.PE) == 0 && (source & 1) != 0)
            || (((source ^ _cr0Shadow) & _cr0Mask & 0xE) != 0);
        if (exits)
            return Exit(i, ExitReason.CrAccess, ExitQualification.CrAccess(0, ExitQualification.Lmsw, 0, memory, source), length, memory ? LinearOf(i) : 0);
        ulong lowMask = 0xE | (cpu.Cr0 & Cr0.PE) ^ Cr0.PE;                // LMSW cannot clear PE
        ulong change = lowMask & ~_cr0Mask;
        cpu.TryWriteCr0((cpu.Cr0 & ~change) | (source & change));
        return true;
    }

    bool CompleteSmsw(in Instruction i)
    {
        var cpu = _cpu;
        ulong visible = (cpu.Cr0 & ~_cr0Mask) | (_cr0Shadow & _cr0Mask);
        if (i.Op0Kind == OpKind.Register) cpu.WriteRegisterSized(i.Op0Register, i.Op0Register.GetSize() == 2 ? (ushort)visible : visible);
        else cpu.WriteOperand<ushort>(i, 0, (ushort)visible);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    bool Exit(in Instruction i, int reason, ulong qualification, int length, ulong linear = 0)
    {
        ExitInstruction = i;
        VmExit((uint)reason, qualification, length, 0, 0, linear);
        return true;
    }

    // ------------------------------------------------------------------ exceptions, interrupts, task switches

    /// <summary>
    /// An exception is about to be delivered (SDM vol.3C §26.2): exits when its exception-bitmap bit
    /// is set; for #PF the bit is compared with whether (error code &amp; mask) == match. INT n is not
    /// an exception and never exits this way; INT3/INTO are software exceptions (type 6).
    /// </summary>
    public bool TryInterceptException(in PendingExceptionInfo e)
    {
        if (!InGuest) return false;
        if (e.IsSoftwareInterrupt && !e.IsInt3OrInto) return false;
        bool bit = (_exceptionBitmap >> e.Vector & 1) != 0;
        if (e.Vector == ExceptionVector.PageFault) bit = bit == ((e.ErrorCode & _pfMask) == _pfMatch);
        if (!bit) return false;
        var cpu = _cpu;
        uint type = e.IsInt3OrInto ? InterruptionType.SoftwareException : InterruptionType.HardwareException;
        // §28.2.4: the instruction length is defined for software exceptions and for exits during the delivery of a software interrupt or exception.
        var d = cpu.EventInDelivery;
        bool software = e.IsInt3OrInto || (d.Valid && d.Kind == EventKind.Software);
        int length = software ? (int)((cpu.NextRip - cpu.Rip) & cpu.IpMask) : 0;
        ulong q = e.Vector switch
        {
            ExceptionVector.PageFault => cpu.Cr2,   // §28.2.1: the faulting linear address (the executor has already put it in CR2)
            ExceptionVector.Debug => cpu.Dr[6] & 0x600F,
            _ => 0,
        };
        VmExit(ExitReason.ExceptionOrNmi, q, length, InterruptionInfo.Make(e.Vector, type, e.HasErrorCode), e.HasErrorCode ? e.ErrorCode : 0);
        return true;
    }

    bool _interruptSeen;

    /// <summary>
    /// An instruction boundary (SDM vol.3C §26.2, §26.3): an NMI with NMI exiting, an interrupt newly
    /// pending at the interrupt controller with external-interrupt exiting, or an open interrupt
    /// window with interrupt-window exiting, each causes its VM exit.
    /// </summary>
    public bool OnInterruptCheck()
    {
        if (!InGuest) return false;
        var cpu = _cpu;
        var source = cpu.Interrupts;
        if (source is not null)
        {
            if ((_pin & PinControls.NmiExiting) != 0 && source.HasPendingNmi && !cpu.InterruptShadow)
            {
                VmExit(ExitReason.ExceptionOrNmi, 0, 0, InterruptionInfo.Make(ExceptionVector.Nmi, InterruptionType.Nmi, false));
                return true;
            }
            bool pending = source.HasPendingInterrupt;
            bool newly = pending && !_interruptSeen;
            _interruptSeen = pending;
            if (newly && (_pin & PinControls.ExternalInterruptExiting) != 0)
            {
                VmExit(ExitReason.ExternalInterrupt, 0, 0);
                return true;
            }
        }
        if (Proc(ProcControls.InterruptWindowExiting) && cpu.InterruptFlag && !cpu.InterruptShadow)
        {
            VmExit(ExitReason.InterruptWindow, 0, 0);
            return true;
        }
        return false;
    }

    /// <summary>Task switches always exit (SDM vol.3C §26.1.2); the qualification carries the selector and source (Table 28-2).</summary>
    public bool TryInterceptTaskSwitch(ushort selector, TaskSwitchSource source)
    {
        if (!InGuest) return false;
        var cpu = _cpu;
        int encoded = source switch
        {
            TaskSwitchSource.Call => ExitQualification.TaskSwitchCall,
            TaskSwitchSource.Iret => ExitQualification.TaskSwitchIret,
            TaskSwitchSource.Jmp => ExitQualification.TaskSwitchJmp,
            _ => ExitQualification.TaskSwitchIdt,
        };
        var d = cpu.EventInDelivery;
        bool instruction = source != TaskSwitchSource.InterruptOrException || (d.Valid && d.Kind == EventKind.Software);
        int length = instruction ? (int)((cpu.NextRip - cpu.Rip) & cpu.IpMask) : 0;
        VmExit(ExitReason.TaskSwitch, ExitQualification.TaskSwitch(selector, encoded), length);
        return true;
    }

    /// <summary>Executor reported a triple fault: the TRIPLE_FAULT exit (SDM vol.3C §26.2 "triple fault").</summary>
    public void TripleFaultExit()
    {
        if (!InGuest) return;
        VmExit(ExitReason.TripleFault, 0, 0);
    }

    /// <summary>Records that the VMM acknowledged the pending interrupt (the controller's line dropped).</summary>
    public void NoteInterruptAcknowledged() => _interruptSeen = _cpu.Interrupts?.HasPendingInterrupt ?? false;
}
