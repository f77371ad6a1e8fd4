using System.Runtime.CompilerServices;
using Iced.Intel;
using JitVirt.Cpu;
using JitVirt.Cpu.State;
using JitVirt.Cpu.Virtualization;
using C = JitVirt.Svm.VmcbControlArea;
using CpuT = JitVirt.Cpu.Cpu;

namespace JitVirt.Svm;

/// <summary>
/// The intercept checks (AMD APM vol.2 §15.7–15.13), answered from the VMCB's vectors and the
/// IOPM/MSRPM, and the EXITINFO each intercept reports (§15.7.1, Appendix C).
/// </summary>
public sealed partial class SvmFrontEnd
{
    /// <summary>The instruction being intercepted and its next RIP (what 2.6.20 kept as svm-&gt;next_rip, here from the decoder).</summary>
    Instruction _exitInstruction;
    ulong _exitNextRip;

    /// <summary>The instruction of the current instruction-intercept exit.</summary>
    public ref readonly Instruction ExitInstruction => ref _exitInstruction;

    /// <summary>RIP after the intercepted instruction.</summary>
    public ulong ExitNextRip => _exitNextRip;

    // ------------------------------------------------------------------ decode time

    public bool MayIntercept(in Instruction i)
    {
        var v = Vmcb;
        var w1 = v.InterceptWord1;
        var w2 = v.InterceptWord2;
        switch (i.Mnemonic)
        {
            case Mnemonic.In:
            case Mnemonic.Out:
                if ((w1 & InterceptWord1.IoioProt) == 0) return false;
                bool immediate = i.Mnemonic == Mnemonic.In ? i.Op1Kind == OpKind.Immediate8 : i.Op0Kind == OpKind.Immediate8;
                int size = (i.Mnemonic == Mnemonic.In ? i.Op0Register : i.Op1Register).GetSize();
                return immediate ? Iopm.Intercepts(i.Immediate8, size) : _iopmAnySet;
            case Mnemonic.Insb: case Mnemonic.Insw: case Mnemonic.Insd:
            case Mnemonic.Outsb: case Mnemonic.Outsw: case Mnemonic.Outsd:
                return (w1 & InterceptWord1.IoioProt) != 0 && _iopmAnySet;
            case Mnemonic.Rdmsr: case Mnemonic.Wrmsr: return (w1 & InterceptWord1.MsrProt) != 0;
            case Mnemonic.Mov:
                if (i.Op0Register.IsCR()) return CrWriteIntercepted(i.Op0Register - Register.CR0) || (i.Op0Register == Register.CR0 && (w1 & InterceptWord1.Cr0SelectiveWrite) != 0);
                if (i.Op1Register.IsCR()) return CrReadIntercepted(i.Op1Register - Register.CR0);
                if (i.Op0Register.IsDR()) return DrWriteIntercepted(i.Op0Register - Register.DR0);
                if (i.Op1Register.IsDR()) return DrReadIntercepted(i.Op1Register - Register.DR0);
                return false;
            case Mnemonic.Lmsw: case Mnemonic.Clts:
                return CrWriteIntercepted(0) || (w1 & InterceptWord1.Cr0SelectiveWrite) != 0;
            case Mnemonic.Smsw: return CrReadIntercepted(0);
        }
        var bit = Word1Of(i.Mnemonic);
        if (bit != 0) return (w1 & bit) != 0;
        var bit2 = Word2Of(i.Mnemonic);
        return bit2 != 0 && (w2 & bit2) != 0;
    }

    // The CR/DR intercept vectors (APM vol.2 §15.8, Table B-1 offsets 0x00-0x07): bit n = CRn/DRn.
    bool CrReadIntercepted(int cr) => ((Vmcb.InterceptCrRead >> cr) & 1) != 0;
    bool CrWriteIntercepted(int cr) => ((Vmcb.InterceptCrWrite >> cr) & 1) != 0;
    bool DrReadIntercepted(int dr) => ((Vmcb.InterceptDrRead >> dr) & 1) != 0;
    bool DrWriteIntercepted(int dr) => ((Vmcb.InterceptDrWrite >> dr) & 1) != 0;

    /// <summary>The word-1 intercept of an instruction (APM vol.2 §15.9, Table B-1 offset 0x0C).</summary>
    static InterceptWord1 Word1Of(Mnemonic m) => m switch
    {
        Mnemonic.Sidt => InterceptWord1.IdtrRead,
        Mnemonic.Sgdt => InterceptWord1.GdtrRead,
        Mnemonic.Sldt => InterceptWord1.LdtrRead,
        Mnemonic.Str => InterceptWord1.TrRead,
        Mnemonic.Lidt => InterceptWord1.IdtrWrite,
        Mnemonic.Lgdt => InterceptWord1.GdtrWrite,
        Mnemonic.Lldt => InterceptWord1.LdtrWrite,
        Mnemonic.Ltr => InterceptWord1.TrWrite,
        Mnemonic.Rdtsc => InterceptWord1.Rdtsc,
        Mnemonic.Rdpmc => InterceptWord1.Rdpmc,
        Mnemonic.Pushf or Mnemonic.Pushfd or Mnemonic.Pushfq => InterceptWord1.Pushf,
        Mnemonic.Popf or Mnemonic.Popfd or Mnemonic.Popfq => InterceptWord1.Popf,
        Mnemonic.Cpuid => InterceptWord1.Cpuid,
        Mnemonic.Rsm => InterceptWord1.Rsm,
        Mnemonic.Iret or Mnemonic.Iretd or Mnemonic.Iretq => InterceptWord1.Iret,
        Mnemonic.Invd => InterceptWord1.Invd,
        Mnemonic.Pause => InterceptWord1.Pause,
        Mnemonic.Hlt => InterceptWord1.Hlt,
        Mnemonic.Invlpg => InterceptWord1.Invlpg,
        Mnemonic.Invlpga => InterceptWord1.Invlpga,
        _ => InterceptWord1.None,
    };

    /// <summary>The word-2 intercept of an instruction (offset 0x10).</summary>
    static InterceptWord2 Word2Of(Mnemonic m) => m switch
    {
        Mnemonic.Vmrun => InterceptWord2.Vmrun,
        Mnemonic.Vmmcall => InterceptWord2.Vmmcall,
        Mnemonic.Vmload => InterceptWord2.Vmload,
        Mnemonic.Vmsave => InterceptWord2.Vmsave,
        Mnemonic.Stgi => InterceptWord2.Stgi,
        Mnemonic.Clgi => InterceptWord2.Clgi,
        Mnemonic.Skinit => InterceptWord2.Skinit,
        Mnemonic.Rdtscp => InterceptWord2.Rdtscp,
        Mnemonic.Int1 => InterceptWord2.Icebp,
        Mnemonic.Wbinvd => InterceptWord2.Wbinvd,
        Mnemonic.Monitor => InterceptWord2.Monitor,
        Mnemonic.Mwait => InterceptWord2.Mwait,
        Mnemonic.Xsetbv => InterceptWord2.Xsetbv,
        _ => InterceptWord2.None,
    };

    // ------------------------------------------------------------------ run time: instructions

    public bool TryInterceptInstruction(CpuT cpu, in Instruction i)
    {
        if (!_inGuest) return false;
        int code = ExitCodeOf(cpu, in i, out ulong info1, out ulong info2);
        if (code < 0) return false;
        _exitInstruction = i;
        _exitNextRip = cpu.NextRip;
        return ExitAndHandle(code, info1, info2, cpu.Rip);
    }

    /// <summary>The #VMEXIT code <paramref name="i"/> causes now, with its EXITINFO1/2, or −1 when it runs in the guest.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    int ExitCodeOf(CpuT cpu, in Instruction i, out ulong info1, out ulong info2)
    {
        info1 = info2 = 0;
        var v = Vmcb;
        switch (i.Mnemonic)
        {
            case Mnemonic.In: case Mnemonic.Out:
            case Mnemonic.Insb: case Mnemonic.Insw: case Mnemonic.Insd:
            case Mnemonic.Outsb: case Mnemonic.Outsw: case Mnemonic.Outsd:
            {
                if (!v.IsIntercepted(InterceptWord1.IoioProt)) return -1;
                var (port, size) = InterceptStubs.IoAccess(cpu, in i);
                if (!Iopm.Intercepts(port, size)) return -1;
                info1 = IoExitInfo.For(in i, port, size, cpu.CodeMode);
                info2 = cpu.NextRip;
                return SvmExitCode.Ioio;
            }
            case Mnemonic.Rdmsr: case Mnemonic.Wrmsr:
            {
                bool write = i.Mnemonic == Mnemonic.Wrmsr;
                if (!v.IsIntercepted(InterceptWord1.MsrProt) || !Msrpm.Intercepts((uint)cpu.Gpr[Gpr.Rcx], write)) return -1;
                info1 = write ? 1ul : 0ul; // APM vol.2 §15.11: 0 = RDMSR, 1 = WRMSR
                return SvmExitCode.Msr;
            }
            case Mnemonic.Cpuid:
                return v.IsIntercepted(InterceptWord1.Cpuid) ? SvmExitCode.Cpuid : -1;
            case Mnemonic.Mov:
                return ControlOrDebugExit(cpu, in i);
            case Mnemonic.Lmsw:
            {
                if (CrWriteIntercepted(0)) return SvmExitCode.WriteCr0;
                // LMSW writes CR0[3:0]; the selective intercept fires when a bit other than TS/MP changes (APM vol.2 §15.8.2).
                ulong src = i.Op0Kind == OpKind.Register ? cpu.ReadRegisterZx(i.Op0Register) : cpu.ReadOperand<ushort>(i, 0);
                if (cpu.Faulted) { cpu.Pending &= ~PendingEvent.Exception; return -1; }
                ulong now = (cpu.Cr0 & ~0xEul) | (src & 0xF);
                return SelectiveCr0(cpu.Cr0, now);
            }
            case Mnemonic.Clts:
                return CrWriteIntercepted(0) ? SvmExitCode.WriteCr0 : -1; // CLTS changes only TS: never selective
            case Mnemonic.Smsw:
                return CrReadIntercepted(0) ? SvmExitCode.ReadCr0 : -1;
        }
        var bit = Word1Of(i.Mnemonic);
        if (bit != 0) return v.IsIntercepted(bit) ? SvmExitCode.Of(bit) : -1;
        var bit2 = Word2Of(i.Mnemonic);
        if (bit2 != 0) return v.IsIntercepted(bit2) ? SvmExitCode.Of(bit2) : -1;
        return -1;
    }

    int SelectiveCr0(ulong old, ulong now)
    {
        const ulong selectiveMask = JitVirt.Cpu.State.Cr0.TS | JitVirt.Cpu.State.Cr0.MP; // 2.6.20 SVM_CR0_SELECTIVE_MASK
        if (!Vmcb.IsIntercepted(InterceptWord1.Cr0SelectiveWrite)) return -1;
        return ((old ^ now) & ~selectiveMask) != 0 ? SvmExitCode.Cr0SelectiveWrite : -1;
    }

    /// <summary>MOV to/from CRn/DRn: exit codes 0x00+n, 0x10+n, 0x20+n, 0x30+n; EXITINFO1 is 0 without decode assists (APM vol.2 §15.8).</summary>
    int ControlOrDebugExit(CpuT cpu, in Instruction i)
    {
        if (i.Op0Register.IsCR())
        {
            int cr = i.Op0Register - Register.CR0;
            if (CrWriteIntercepted(cr)) return SvmExitCode.WriteCr0 + cr;
            return cr == 0 ? SelectiveCr0(cpu.Cr0, cpu.ReadRegisterZx(i.Op1Register)) : -1;
        }
        if (i.Op1Register.IsCR())
        {
            int cr = i.Op1Register - Register.CR0;
            return CrReadIntercepted(cr) ? SvmExitCode.ReadCr0 + cr : -1;
        }
        if (i.Op0Register.IsDR())
        {
            int dr = i.Op0Register - Register.DR0;
            return DrWriteIntercepted(dr) ? SvmExitCode.WriteDr0 + dr : -1;
        }
        if (i.Op1Register.IsDR())
        {
            int dr = i.Op1Register - Register.DR0;
            return DrReadIntercepted(dr) ? SvmExitCode.ReadDr0 + dr : -1;
        }
        return -1;
    }

    // ------------------------------------------------------------------ run time: exceptions

    /// <summary>The software interrupt vector of the current INTn exit.</summary>
    internal byte SoftwareInterruptVector;

    /// <summary>
    /// Exceptions against the exception vector (APM vol.2 §15.12): EXITINFO1 = the error code when
    /// the exception has one, EXITINFO2 = the faulting address for #PF. INT n is the INTn
    /// instruction intercept (§15.9, exit 0x75) with RIP at the instruction; INT3/INTO are #BP/#OF
    /// and, being traps, leave RIP after the instruction.
    /// </summary>
    public bool TryInterceptException(CpuT cpu, in PendingExceptionInfo e)
    {
        if (!_inGuest) return false;
        var v = Vmcb;
        if (e.IsSoftwareInterrupt && !e.IsInt3OrInto)
        {
            if (!v.IsIntercepted(InterceptWord1.Intn)) return false;
            SoftwareInterruptVector = e.Vector;
            _exitNextRip = cpu.NextRip;
            return ExitAndHandle(SvmExitCode.Swint, 0, 0, cpu.Rip);
        }
        if (e.Vector > 31 || ((v.InterceptExceptions >> e.Vector) & 1) == 0) return false;
        ulong info1 = e.HasErrorCode ? e.ErrorCode : 0;
        // The executor has already stored the faulting address in CR2 when it raised the #PF (a
        // known difference from APM §15.12.15, where CR2 is left unchanged at a #PF intercept); it is
        // the address EXITINFO2 reports.
        ulong info2 = e.Vector == ExceptionVector.PageFault ? cpu.Cr2 : 0;
        bool trapLike = (e.IsTrap || e.IsSoftwareInterrupt) && !cpu.EventInDelivery.Valid;
        _exitNextRip = cpu.NextRip;
        return ExitAndHandle(SvmExitCode.Exception0 + e.Vector, info1, info2, trapLike ? cpu.NextRip : cpu.Rip);
    }

    // ------------------------------------------------------------------ run time: interrupts

    /// <summary>
    /// Physical INTR/NMI and the virtual-interrupt window. A newly pending PIC/APIC interrupt takes an
    /// INTR exit (its handler resumes, and entry injects it or asks for the window); while a window is
    /// requested (V_IRQ) no further INTR exits are taken, so a guest running with IF = 0 sees no exit
    /// storm; when the guest becomes interruptible with V_IRQ set, the VINTR exit fires (APM vol.2
    /// §15.21.4: V_IRQ is taken when deliverable, and the VINTR intercept catches it).
    /// </summary>
    public bool OnInterruptCheck(CpuT cpu)
    {
        if (!_inGuest) return false;
        var v = Vmcb;
        var src = cpu.Interrupts;
        if (src is not null)
        {
            if (src.HasPendingNmi && !cpu.NmiBlocked && v.IsIntercepted(InterceptWord1.Nmi))
                return ExitAndHandle(SvmExitCode.Nmi, 0, 0, cpu.Rip);
            if (!v.VIrq && src.HasPendingInterrupt && v.IsIntercepted(InterceptWord1.Intr))
                return ExitAndHandle(SvmExitCode.Intr, 0, 0, cpu.Rip);
        }
        if (v.VIrq && cpu.InterruptFlag && !cpu.InterruptShadow && v.IsIntercepted(InterceptWord1.Vintr))
            return ExitAndHandle(SvmExitCode.Vintr, 0, 0, cpu.Rip);
        return false;
    }

    // ------------------------------------------------------------------ run time: task switches

    /// <summary>The task switch of the current TASK_SWITCH exit (the handler emulates it).</summary>
    internal (ushort Selector, TaskSwitchSource Source, bool HasErrorCode, uint ErrorCode, bool External) TaskSwitchRequest;

    /// <summary>
    /// TASK_SWITCH (APM vol.2 §15.9, exit 0x7D): EXITINFO1 = the target TSS selector; EXITINFO2 =
    /// the error code to push (31:0), bit 36 when caused by IRET, bit 38 by a far JMP, bit 44 when an
    /// error code is pushed, bit 48 the outgoing RFLAGS.RF.
    /// </summary>
    public bool TryInterceptTaskSwitch(CpuT cpu, ushort selector, TaskSwitchSource source, bool hasErrorCode, uint errorCode)
    {
        if (!_inGuest || !Vmcb.IsIntercepted(InterceptWord1.TaskSwitch)) return false;
        ulong info2 = hasErrorCode ? errorCode : 0;
        if (source == TaskSwitchSource.Iret) info2 |= 1ul << 36;
        if (source == TaskSwitchSource.Jmp) info2 |= 1ul << 38;
        if (hasErrorCode) info2 |= 1ul << 44;
        if ((cpu.GetRflags() & Rflags.RF) != 0) info2 |= 1ul << 48;
        bool external = cpu.EventInDelivery is { Valid: true, Kind: EventKind.External };
        TaskSwitchRequest = (selector, source, hasErrorCode, errorCode, external);
        _exitNextRip = cpu.NextRip;
        return ExitAndHandle(SvmExitCode.TaskSwitch, selector, info2, cpu.Rip);
    }
}
