using JitVirt.Cpu;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;
using JitVirt.Cpu.Virtualization;

namespace JitVirt.Vmx;

/// <summary>
/// The exit handlers (2.6.20 <c>vmx.c</c> handle_*). Where 2.6.20 went to userspace (CPUID, port
/// I/O, MSRs it did not know) the machine's own devices and models answer here in place, which is
/// what QEMU did on the other side of KVM_RUN. Each handler returns true to resume the guest.
/// </summary>
public sealed partial class VmxFrontEnd
{
    /// <summary>skip_emulated_instruction: RIP += VM-exit instruction length (VMX has no next-RIP), and STI/MOV SS blocking ends.</summary>
    void SkipInstruction()
    {
        ulong rip = Read(VmcsField.GuestRip) + Read(VmcsField.VmExitInstructionLength);
        Write(VmcsField.GuestRip, rip & _cpu.IpMask);
        ulong intr = Read(VmcsField.GuestInterruptibilityState);
        if ((intr & 3) != 0) Write(VmcsField.GuestInterruptibilityState, intr & ~3ul);
    }

    /// <summary>
    /// A guest GPR as the handlers see it. RSP is part of the guest-state area (GUEST_RSP, SDM vol.3C
    /// §25.4.1), the others stay in the Cpu, as 2.6.20 kept them in <c>vcpu-&gt;regs</c>.
    /// </summary>
    ulong Gpr(int n) => n == JitVirt.Cpu.State.Gpr.Rsp ? Read(VmcsField.GuestRsp) : _cpu.Gpr[n];

    /// <summary>
    /// Writes a guest GPR. RSP goes to GUEST_RSP, which the next VM entry loads (2.6.20's
    /// vcpu_put_rsp_rip): written only into the Cpu it would be lost at that entry, e.g. Linux's
    /// PTI syscall entry <c>mov %cr3, %rsp</c> (CR3-store exiting) would keep the user RSP.
    /// </summary>
    void SetGpr(int n, ulong value)
    {
        if (n == JitVirt.Cpu.State.Gpr.Rsp) Write(VmcsField.GuestRsp, value);
        _cpu.Gpr[n] = value;
    }

    void SetEdxEax(ulong value)
    {
        _cpu.Gpr[JitVirt.Cpu.State.Gpr.Rax] = (uint)value;
        _cpu.Gpr[JitVirt.Cpu.State.Gpr.Rdx] = value >> 32;
    }

    internal bool HandleUnknown() => UnknownExit();

    internal static bool HandleSkip(VmxFrontEnd v) { v.SkipInstruction(); return true; }

    /// <summary>VMX instructions, GETSEC, XSETBV: the guest is not told of VMX or SMX (CPUID.1:ECX), so they are #UD (SDM vol.3C §31.3).</summary>
    internal static bool HandleUndefinedInstruction(VmxFrontEnd v) { v.InjectException(ExceptionVector.InvalidOpcode); return true; }

    internal static bool HandleExternalInterrupt(VmxFrontEnd v) => true; // the entry path acknowledges and injects, or opens the window

    internal static bool HandleInterruptWindow(VmxFrontEnd v) => true;

    internal static bool HandleTripleFault(VmxFrontEnd v) { v._stop = StopReason.Shutdown; return false; }

    internal static bool HandleCpuid(VmxFrontEnd v)
    {
        var cpu = v._cpu;
        uint leaf = (uint)v.Gpr(JitVirt.Cpu.State.Gpr.Rax), subleaf = (uint)v.Gpr(JitVirt.Cpu.State.Gpr.Rcx);
        var r = cpu.Cpuid.Query(leaf, subleaf, cpu.Is64BitMode);
        v.Tracer?.Cpuid(leaf, subleaf, r.Eax, r.Ebx, r.Ecx, r.Edx, v.CpuidLeafDefined(leaf));
        cpu.Gpr[JitVirt.Cpu.State.Gpr.Rax] = r.Eax;
        cpu.Gpr[JitVirt.Cpu.State.Gpr.Rbx] = r.Ebx;
        cpu.Gpr[JitVirt.Cpu.State.Gpr.Rcx] = r.Ecx;
        cpu.Gpr[JitVirt.Cpu.State.Gpr.Rdx] = r.Edx;
        v.SkipInstruction();
        return true;
    }

    /// <summary>handle_halt: skip; keep running if an interrupt can be injected now, else the machine waits (KVM_EXIT_HLT).</summary>
    internal static bool HandleHalt(VmxFrontEnd v)
    {
        v.SkipInstruction();
        if (v.CanWake()) return true;
        v._halted = true;
        v._stop = StopReason.Halted;
        return false;
    }

    internal static bool HandleInvlpg(VmxFrontEnd v)
    {
        ulong linear = v.Read(VmcsField.ExitQualification);
        if (v.UseVpid) v._hw.Invvpid(InvvpidType.IndividualAddress, v.Vpid, linear);
        else v._cpu.FlushTlbPage(linear);
        v.SkipInstruction();
        return true;
    }

    /// <summary>RDTSC/RDTSCP exits: the guest TSC is the host TSC plus TSC_OFFSET (SDM vol.3C §25.6.5).</summary>
    internal static bool HandleRdtsc(VmxFrontEnd v)
    {
        var cpu = v._cpu;
        ulong offset = (v.Read(VmcsField.ProcessorBasedControls) & ProcControls.UseTscOffsetting) != 0 ? v.Read(VmcsField.TscOffset) : 0;
        v.SetEdxEax(cpu.Msrs.TimeSource.Now(cpu) + offset);
        if ((ushort)v.Read(VmcsField.ExitReason) == ExitReason.Rdtscp) cpu.Gpr[JitVirt.Cpu.State.Gpr.Rcx] = (uint)cpu.Msrs.TscAux;
        v.SkipInstruction();
        return true;
    }

    /// <summary>RDPMC: no performance counters are modelled; counters read 0 (CR4.PCE/CPL checks came before the exit).</summary>
    internal static bool HandleRdpmc(VmxFrontEnd v) { v.SetEdxEax(0); v.SkipInstruction(); return true; }

    internal static bool HandleRdmsr(VmxFrontEnd v)
    {
        var cpu = v._cpu;
        uint msr = (uint)v.Gpr(JitVirt.Cpu.State.Gpr.Rcx);
        bool ok = cpu.Msrs.TryRead(msr, out ulong value);
        v.Tracer?.Msr(false, msr, ok ? value : 0, !ok);
        if (!ok) { v.InjectException(ExceptionVector.GeneralProtection, 0); return true; }
        v.SetEdxEax(value);
        v.SkipInstruction();
        return true;
    }

    const uint MsrTsc = 0x10, MsrSysenterCs = 0x174, MsrSysenterEsp = 0x175, MsrSysenterEip = 0x176;
    const uint MsrEfer = 0xC000_0080, MsrFsBase = 0xC000_0100, MsrGsBase = 0xC000_0101;

    /// <summary>handle_wrmsr: MSRs that live in the VMCS go there (SYSENTER, FS/GS base, the TSC as TSC_OFFSET); the rest are the Cpu's own.</summary>
    internal static bool HandleWrmsr(VmxFrontEnd v)
    {
        var cpu = v._cpu;
        uint msr = (uint)v.Gpr(JitVirt.Cpu.State.Gpr.Rcx);
        ulong value = (uint)v.Gpr(JitVirt.Cpu.State.Gpr.Rax) | (v.Gpr(JitVirt.Cpu.State.Gpr.Rdx) << 32);
        if (msr == MsrTsc)
        {
            v.Tracer?.Msr(true, msr, value, false);
            v.Write(VmcsField.TscOffset, value - cpu.Msrs.TimeSource.Now(cpu));
            v.SkipInstruction();
            return true;
        }
        bool lmaBefore = (cpu.Efer & Efer.LMA) != 0;
        bool ok = cpu.Msrs.TryWrite(msr, value);
        v.Tracer?.Msr(true, msr, value, !ok);
        if (!ok) { v.InjectException(ExceptionVector.GeneralProtection, 0); return true; }
        switch (msr)
        {
            case MsrSysenterCs: v.Write(VmcsField.GuestSysenterCs, cpu.Msrs.SysenterCs); break;
            case MsrSysenterEsp: v.Write(VmcsField.GuestSysenterEsp, cpu.Msrs.SysenterEsp); break;
            case MsrSysenterEip: v.Write(VmcsField.GuestSysenterEip, cpu.Msrs.SysenterEip); break;
            case MsrFsBase: v.Write(VmcsField.GuestFsBase, cpu.Segments[SegmentIndex.Fs].Base); break;
            case MsrGsBase: v.Write(VmcsField.GuestGsBase, cpu.Segments[SegmentIndex.Gs].Base); break;
            case MsrEfer: v.SetEntryIa32e(lmaBefore); break; // EFER.LMA is not writable: the entry control keeps it
        }
        v.SkipInstruction();
        return true;
    }

    void SetEntryIa32e(bool on)
    {
        ulong entry = Read(VmcsField.VmEntryControls);
        ulong want = on ? entry | EntryControls.Ia32eModeGuest : entry & ~(ulong)EntryControls.Ia32eModeGuest;
        if (want != entry) Write(VmcsField.VmEntryControls, want);
        if (on) _cpu.Efer |= Efer.LMA; else _cpu.Efer &= ~Efer.LMA;
    }

    /// <summary>
    /// handle_io. Port I/O goes to the machine's bus (<see cref="JitVirt.Cpu.Cpu.Io"/>), decoded from
    /// the qualification: size = (q &amp; 7) + 1, IN when bit 3, port = q &gt;&gt; 16. String I/O is
    /// emulated with the processor's own INS/OUTS semantics, as QEMU's emulation used guest memory.
    /// </summary>
    internal static unsafe bool HandleIo(VmxFrontEnd v)
    {
        var cpu = v._cpu;
        ulong q = v.Read(VmcsField.ExitQualification);
        int size = (int)(q & 7) + 1;
        bool isIn = (q & 8) != 0;
        ushort port = (ushort)(q >> 16);
        if ((q & 0x10) != 0) return v.Tracer is { } t ? v.EmulateStringIoTraced(t, isIn, port, size) : v.EmulateStringIo();
        if (isIn)
        {
            uint value = cpu.Io.In(port, size);
            v.Tracer?.Pio(false, port, size, 1, value);
            ref ulong rax = ref cpu.Gpr[JitVirt.Cpu.State.Gpr.Rax];
            rax = size switch { 1 => (rax & ~0xFFul) | (byte)value, 2 => (rax & ~0xFFFFul) | (ushort)value, _ => value };
        }
        else
        {
            uint value = (uint)cpu.Gpr[JitVirt.Cpu.State.Gpr.Rax] & (size == 4 ? 0xFFFF_FFFFu : (1u << (size * 8)) - 1);
            v.Tracer?.Pio(true, port, size, 1, value);
            cpu.Io.Out(port, size, value);
        }
        v.SkipInstruction();
        return true;
    }

    /// <summary>INS/OUTS: the processor's own string I/O semantics on the guest state, RIP past it unless a REP stopped early or it faulted.</summary>
    unsafe bool EmulateStringIo()
    {
        var cpu = _cpu;
        var insn = _hw.ExitInstruction;
        ulong next = cpu.Rip + Read(VmcsField.VmExitInstructionLength);
        cpu.NextRip = next & cpu.IpMask;
        ((delegate*<JitVirt.Cpu.Cpu, in Iced.Intel.Instruction, void>)HandlerTable.Handlers[(int)insn.Code])(cpu, in insn);
        if (cpu.Faulted) return true;                  // the fault is delivered at the instruction once the guest runs
        Write(VmcsField.GuestRip, cpu.NextRip);        // NextRip stays at the instruction when a REP stopped early
        return true;
    }

    /// <summary>String I/O under a tracer: a tap on the port bus gives kvm_pio the element count and the first value (none when a REP count is 0).</summary>
    bool EmulateStringIoTraced(JitVirt.Virtualization.IExitTracer t, bool isIn, ushort port, int size)
    {
        var bus = _cpu.Io;
        var tap = new FirstAccessTap(bus);
        _cpu.Io = tap;
        bool resume;
        try { resume = EmulateStringIo(); }
        finally { _cpu.Io = bus; }
        if (tap.Count > 0) t.Pio(!isIn, port, size, tap.Count, tap.First);
        return resume;
    }

    /// <summary>
    /// handle_dr. 2.6.20 faked MOV DR (reads gave DR6 = FFFF0FF0, DR7 = 400, writes were dropped);
    /// a complete VMM keeps the guest's debug registers (SDM vol.3C §28.2.1 Table 28-4; vol.3 §18.2):
    /// DR0–DR3 and DR6 in the VMM (here the Cpu, which the processor model never switches), DR7 in the
    /// VMCS guest-state area.
    /// </summary>
    internal static bool HandleDrAccess(VmxFrontEnd v)
    {
        var cpu = v._cpu;
        ulong q = v.Read(VmcsField.ExitQualification);
        int dr = (int)(q & 7);
        bool fromDr = (q & 0x10) != 0;
        int gpr = (int)(q >> 8) & 15;
        if (dr is 4 or 5) dr += 2;                      // aliases when CR4.DE = 0 (the #UD case was raised before the exit)
        if (fromDr)
        {
            ulong value = dr == 7 ? v.Read(VmcsField.GuestDr7) : cpu.Dr[dr];
            v.SetGpr(gpr, cpu.Is64BitMode ? value : (uint)value);
        }
        else
        {
            cpu.Dr[7] = v.Read(VmcsField.GuestDr7);
            if (!cpu.TryWriteDebugRegister(dr, v.Gpr(gpr))) { cpu.Pending &= ~PendingEvent.Exception; v.InjectException(ExceptionVector.GeneralProtection, 0); return true; }
            if (dr == 7) v.Write(VmcsField.GuestDr7, cpu.Dr[7]);
        }
        v.SkipInstruction();
        return true;
    }

    /// <summary>
    /// handle_task_switch. 2.6.20 had no handler (the exit fell through to userspace as unknown); a
    /// complete VMM emulates the switch (SDM vol.3C §26.4.2: task switches always exit; the source and
    /// selector come from the qualification, Table 28-2; the event being delivered from the
    /// IDT-vectoring information). The emulation runs the processor's own task switch on the guest
    /// state and writes the result back into the guest-state area.
    /// </summary>
    internal static bool HandleTaskSwitch(VmxFrontEnd v)
    {
        var cpu = v._cpu;
        ulong q = v.Read(VmcsField.ExitQualification);
        ushort selector = (ushort)q;
        var source = (int)(q >> 30) switch
        {
            ExitQualification.TaskSwitchCall => TaskSwitchSource.Call,
            ExitQualification.TaskSwitchIret => TaskSwitchSource.Iret,
            ExitQualification.TaskSwitchJmp => TaskSwitchSource.Jmp,
            _ => TaskSwitchSource.InterruptOrException,
        };
        uint idt = (uint)v.Read(VmcsField.IdtVectoringInfo);
        bool hasError = InterruptionInfo.IsValid(idt) && InterruptionInfo.HasErrorCode(idt);
        uint error = hasError ? (uint)v.Read(VmcsField.IdtVectoringErrorCode) : 0;
        bool external = InterruptionInfo.IsValid(idt) && InterruptionInfo.Type(idt) is InterruptionType.ExternalInterrupt or InterruptionType.Nmi;
        cpu.EmulateTaskSwitch(selector, source, hasError, error, external);
        v.WriteGuestStateFromEmulator();
        return true;
    }
}
