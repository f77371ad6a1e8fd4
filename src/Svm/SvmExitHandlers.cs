using JitVirt.Cpu;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;
using JitVirt.Virtualization;

namespace JitVirt.Svm;

/// <summary>
/// The exit handler table, indexed by #VMEXIT code like Linux 2.6.20's <c>svm_exit_handlers[]</c>,
/// with KVM's names for each exit (the strings of <c>perf kvm stat</c>: "io", "msr", "cpuid", "hlt",
/// "interrupt", "vintr", "PF excp", "read_cr0", "write_cr3", "shutdown", ...). A handler returns true
/// to resume the guest, false to go to the machine ("userspace"). 2.6.20's table had 37 entries;
/// the rows it lacked are filled as a complete VMM must (emulate the instruction, or reflect the
/// exception), so every intercept a VMCB can enable has a handler.
/// </summary>
public static unsafe class SvmExitHandlers
{
    static readonly delegate*<SvmFrontEnd, bool>[] Handlers = new delegate*<SvmFrontEnd, bool>[SvmExitCode.TableSize];
    static readonly ExitKind?[] KindTable = new ExitKind?[SvmExitCode.TableSize];

    /// <summary>The table's names and categories, by exit code (for <see cref="ExitStatistics"/>).</summary>
    public static IReadOnlyList<ExitKind?> Kinds => KindTable;

    /// <summary>KVM's short names of the exception vectors ("PF" in "PF excp"); SDM vol.3 Table 7-1 mnemonics.</summary>
    static readonly string?[] VectorNames =
    [
        "DE", "DB", "NMI", "BP", "OF", "BR", "UD", "NM", "DF", null, "TS", "NP", "SS", "GP", "PF", null,
        "MF", "AC", "MC", "XF", "VE", "CP", null, null, null, null, null, null, "HV", "VC", "SX", null,
    ];

    static SvmExitHandlers()
    {
        for (int cr = 0; cr < 16; cr++)
        {
            // emulate_on_interception for every CR access (2.6.20 wired CR0/3/4; the others exit only if a VMM sets them).
            Set(SvmExitCode.ReadCr0 + cr, $"read_cr{cr}", ExitCategory.CrRead, &CrAccess);
            Set(SvmExitCode.WriteCr0 + cr, $"write_cr{cr}", ExitCategory.CrWrite, &CrAccess);
        }
        for (int dr = 0; dr < 16; dr++)
        {
            Set(SvmExitCode.ReadDr0 + dr, $"read_dr{dr}", ExitCategory.DrAccess, &ReadDr);
            Set(SvmExitCode.WriteDr0 + dr, $"write_dr{dr}", ExitCategory.DrAccess, &WriteDr);
        }
        for (int v = 0; v < 32; v++)
        {
            string name = VectorNames[v] is { } n ? $"{n} excp" : $"excp {v}";
            Set(SvmExitCode.Exception0 + v, name, ExitCategory.Exception, &ReflectException);
        }
        Set(SvmExitCode.PageFault, "PF excp", ExitCategory.PageFault, &PageFault);
        Set(SvmExitCode.Intr, "interrupt", ExitCategory.ExternalInterrupt, &Nop);
        Set(SvmExitCode.Nmi, "nmi", ExitCategory.Nmi, &Nop);
        Set(SvmExitCode.Smi, "smi", ExitCategory.Other, &Nop);
        Set(SvmExitCode.Init, "init", ExitCategory.Other, &Nop);
        Set(SvmExitCode.Vintr, "vintr", ExitCategory.InterruptWindow, &InterruptWindow);
        Set(SvmExitCode.Cr0SelectiveWrite, "cr0_sel_write", ExitCategory.CrWrite, &Emulate);
        Set(SvmExitCode.IdtrRead, "read_idtr", ExitCategory.Other, &Emulate);
        Set(SvmExitCode.GdtrRead, "read_gdtr", ExitCategory.Other, &Emulate);
        Set(SvmExitCode.LdtrRead, "read_ldtr", ExitCategory.Other, &Emulate);
        Set(SvmExitCode.TrRead, "read_rt", ExitCategory.Other, &Emulate);
        Set(SvmExitCode.IdtrWrite, "write_idtr", ExitCategory.Other, &Emulate);
        Set(SvmExitCode.GdtrWrite, "write_gdtr", ExitCategory.Other, &Emulate);
        Set(SvmExitCode.LdtrWrite, "write_ldtr", ExitCategory.Other, &Emulate);
        Set(SvmExitCode.TrWrite, "write_rt", ExitCategory.Other, &Emulate);
        Set(SvmExitCode.Rdtsc, "rdtsc", ExitCategory.Rdtsc, &Emulate);
        Set(SvmExitCode.Rdpmc, "rdpmc", ExitCategory.Other, &Emulate);
        Set(SvmExitCode.Pushf, "pushf", ExitCategory.Other, &Emulate);
        Set(SvmExitCode.Popf, "popf", ExitCategory.Other, &Emulate);
        Set(SvmExitCode.Cpuid, "cpuid", ExitCategory.Cpuid, &Cpuid);
        Set(SvmExitCode.Rsm, "rsm", ExitCategory.Other, &InvalidOp);
        Set(SvmExitCode.Iret, "iret", ExitCategory.Other, &Emulate);
        Set(SvmExitCode.Swint, "swint", ExitCategory.Other, &SoftwareInterrupt);
        Set(SvmExitCode.Invd, "invd", ExitCategory.Other, &Emulate);
        Set(SvmExitCode.Pause, "pause", ExitCategory.Pause, &Emulate);
        Set(SvmExitCode.Hlt, "hlt", ExitCategory.Hlt, &Halt);
        Set(SvmExitCode.Invlpg, "invlpg", ExitCategory.Invlpg, &Invlpg);
        Set(SvmExitCode.Invlpga, "invlpga", ExitCategory.VirtualizationInstruction, &InvalidOp);
        Set(SvmExitCode.Ioio, "io", ExitCategory.Io, &Io);
        Set(SvmExitCode.Msr, "msr", ExitCategory.MsrRead, &Msr);
        Set(SvmExitCode.TaskSwitch, "task_switch", ExitCategory.TaskSwitch, &TaskSwitch);
        Set(SvmExitCode.FerrFreeze, "ferr_freeze", ExitCategory.Other, &Nop);
        Set(SvmExitCode.Shutdown, "shutdown", ExitCategory.Shutdown, &Shutdown);
        Set(SvmExitCode.Vmrun, "vmrun", ExitCategory.VirtualizationInstruction, &InvalidOp);
        Set(SvmExitCode.Vmmcall, "hypercall", ExitCategory.Hypercall, &InvalidOp);
        Set(SvmExitCode.Vmload, "vmload", ExitCategory.VirtualizationInstruction, &InvalidOp);
        Set(SvmExitCode.Vmsave, "vmsave", ExitCategory.VirtualizationInstruction, &InvalidOp);
        Set(SvmExitCode.Stgi, "stgi", ExitCategory.VirtualizationInstruction, &InvalidOp);
        Set(SvmExitCode.Clgi, "clgi", ExitCategory.VirtualizationInstruction, &InvalidOp);
        Set(SvmExitCode.Skinit, "skinit", ExitCategory.VirtualizationInstruction, &InvalidOp);
        Set(SvmExitCode.Rdtscp, "rdtscp", ExitCategory.Rdtsc, &Emulate);
        Set(SvmExitCode.Icebp, "icebp", ExitCategory.Other, &Emulate);
        Set(SvmExitCode.Wbinvd, "wbinvd", ExitCategory.Other, &Emulate);
        Set(SvmExitCode.Monitor, "monitor", ExitCategory.Other, &InvalidOp);
        Set(SvmExitCode.Mwait, "mwait", ExitCategory.Other, &InvalidOp);
        Set(SvmExitCode.MwaitConditional, "mwait_cond", ExitCategory.Other, &InvalidOp);
        Set(SvmExitCode.Xsetbv, "xsetbv", ExitCategory.Other, &InvalidOp);
    }

    static void Set(int code, string name, ExitCategory category, delegate*<SvmFrontEnd, bool> handler)
    {
        KindTable[code] = new ExitKind(name, category);
        Handlers[code] = handler;
    }

    /// <summary>The handler of <paramref name="exitCode"/>, or null when the table has none.</summary>
    public static bool HasHandler(int exitCode) => (uint)exitCode < SvmExitCode.TableSize && Handlers[exitCode] != null;

    /// <summary>Runs the handler of <paramref name="exitCode"/>; an exit without one goes to the machine (KVM_EXIT_UNKNOWN).</summary>
    internal static bool Dispatch(SvmFrontEnd s, int exitCode)
    {
        var h = (uint)exitCode < SvmExitCode.TableSize ? Handlers[exitCode] : null;
        return h != null && h(s);
    }

    // ------------------------------------------------------------------ handlers

    /// <summary>nop_on_interception: INTR/NMI/SMI/INIT exits only give the host its chance; the entry path then injects.</summary>
    static bool Nop(SvmFrontEnd s) => true;

    /// <summary>emulate_on_interception.</summary>
    static bool Emulate(SvmFrontEnd s) => s.EmulateInstruction();

    /// <summary>cr_interception: emulated; kvm_cr is traced for MOV CR (see <see cref="SvmFrontEnd.EmulateCrAccessTraced"/>).</summary>
    static bool CrAccess(SvmFrontEnd s) => s.Tracer is { } t ? s.EmulateCrAccessTraced(t) : s.EmulateInstruction();

    /// <summary>invalid_op_interception: #UD (no nested SVM, no SMM, no MONITOR/MWAIT/XSAVE advertised).</summary>
    static bool InvalidOp(SvmFrontEnd s)
    {
        s.InjectInvalidOpcode();
        return true;
    }

    /// <summary>interrupt_window_interception: the window is open; drop V_IRQ and the intercept, entry injects.</summary>
    static bool InterruptWindow(SvmFrontEnd s)
    {
        s.CloseInterruptWindow(s.Vmcb);
        return true;
    }

    /// <summary>cpuid_interception: CPUID from the shared model with EAX/ECX from the guest; RIP past the instruction.</summary>
    static bool Cpuid(SvmFrontEnd s)
    {
        var v = s.Vmcb;
        uint leaf = (uint)v.Rax;
        bool in64 = leaf == 0x8000_0001 && s.GuestIn64BitMode();
        uint subleaf = (uint)s.Regs[Gpr.Rcx];
        var r = s.Cpu.Cpuid.Query(leaf, subleaf, in64);
        if (s.Tracer is { } t) s.TraceCpuid(t, leaf, subleaf, in r);
        v.Rax = r.Eax;
        s.Regs[Gpr.Rbx] = r.Ebx;
        s.Regs[Gpr.Rcx] = r.Ecx;
        s.Regs[Gpr.Rdx] = r.Edx;
        s.SkipInstruction();
        return true;
    }

    /// <summary>halt_interception: skip HLT; resume when something can be injected, else the machine waits (KVM_EXIT_HLT).</summary>
    static bool Halt(SvmFrontEnd s)
    {
        s.SkipInstruction();
        return s.HaltCanContinue();
    }

    /// <summary>
    /// io_interception: EXITINFO1 says what (port, size, direction, string, REP), EXITINFO2 where to
    /// continue. Plain IN/OUT go to the machine's port bus directly; INS/OUTS run through the
    /// emulator (it walks RCX, RSI/RDI and RFLAGS.DF with the guest's segments and paging).
    /// </summary>
    static bool Io(SvmFrontEnd s)
    {
        var v = s.Vmcb;
        ulong info = v.ExitInfo1;
        if ((info & IoExitInfo.String) != 0) return s.Tracer is { } st ? s.EmulateStringIoTraced(st, info) : s.EmulateInstruction();
        ushort port = (ushort)(info >> IoExitInfo.PortShift);
        int size = (int)(info >> IoExitInfo.SizeShift) & 7;
        var io = s.Cpu.Io;
        if ((info & IoExitInfo.TypeIn) != 0)
        {
            uint value = io.In(port, size);
            s.Tracer?.Pio(false, port, size, 1, value);
            ulong rax = v.Rax;
            v.Rax = size switch
            {
                1 => (rax & ~0xFFul) | (byte)value,
                2 => (rax & ~0xFFFFul) | (ushort)value,
                _ => value, // a 32-bit destination is zero-extended
            };
        }
        else
        {
            uint value = (uint)v.Rax & (size == 4 ? 0xFFFF_FFFFu : (1u << (size * 8)) - 1);
            s.Tracer?.Pio(true, port, size, 1, value);
            io.Out(port, size, value);
        }
        v.Rip = v.ExitInfo2;
        v.IntState &= ~VmcbControlArea.InterruptShadow;
        return true;
    }

    /// <summary>msr_interception: EXITINFO1 = 0 read, 1 write; the MSR in ECX; #GP(0) for an unknown one.</summary>
    static bool Msr(SvmFrontEnd s)
    {
        var v = s.Vmcb;
        uint msr = (uint)s.Regs[Gpr.Rcx];
        if (v.ExitInfo1 == 0)
        {
            bool ok = s.TryReadMsr(msr, out ulong value);
            s.Tracer?.Msr(false, msr, ok ? value : 0, !ok);
            if (!ok) { s.InjectGeneralProtection(0); return true; }
            v.Rax = (uint)value;
            s.Regs[Gpr.Rdx] = value >> 32;
        }
        else
        {
            ulong value = (s.Regs[Gpr.Rdx] << 32) | (uint)v.Rax;
            bool ok = s.TryWriteMsr(msr, value);
            s.Tracer?.Msr(true, msr, value, !ok);
            if (!ok) { s.InjectGeneralProtection(0); return true; }
        }
        s.SkipInstruction();
        return true;
    }

    /// <summary>
    /// pf_interception, for a #PF the guest's own page tables explain (the shadow MMU is inside the
    /// executor): CR2 := EXITINFO2 and the fault goes back in with EXITINFO1 as its error code, or
    /// #DF when a #PF was being delivered (svm_inject_page_fault).
    /// </summary>
    static bool PageFault(SvmFrontEnd s)
    {
        var v = s.Vmcb;
        s.Tracer?.PageFault(v.ExitInfo2, (uint)v.ExitInfo1);
        v.Cr2 = v.ExitInfo2;
        if (s.ReflectException(ExceptionVector.PageFault, true, (uint)v.ExitInfo1)) return true;
        return s.TripleFault();
    }

    /// <summary>Any other intercepted exception goes back to the guest (later KVM's ud/gp/db/bp_interception).</summary>
    static bool ReflectException(SvmFrontEnd s)
    {
        var v = s.Vmcb;
        byte vector = (byte)(v.ExitCode - SvmExitCode.Exception0);
        if (s.ReflectException(vector, HasErrorCode(vector), (uint)v.ExitInfo1)) return true;
        return s.TripleFault();
    }

    /// <summary>Exceptions that push an error code (SDM vol.3 Table 7-1).</summary>
    static bool HasErrorCode(byte vector) => vector is ExceptionVector.DoubleFault or ExceptionVector.InvalidTss
        or ExceptionVector.SegmentNotPresent or ExceptionVector.StackFault or ExceptionVector.GeneralProtection
        or ExceptionVector.PageFault or ExceptionVector.AlignmentCheck or 21 or 29 or 30;

    /// <summary>INT n intercepted: the VMM delivers it itself, RIP past the instruction, as a type-4 injection (APM vol.2 §15.20).</summary>
    static bool SoftwareInterrupt(SvmFrontEnd s)
    {
        s.SkipInstruction();
        s.QueueEvent(EventInjection.Make(s.SoftwareInterruptVector, EventInjection.TypeSoftwareInterrupt, false));
        return true;
    }

    /// <summary>
    /// INVLPG (not intercepted by 2.6.20, see init): the page's translation is dropped for the guest's
    /// ASID with INVLPGA, as 2.6.20's svm_invlpg would have done.
    /// </summary>
    static bool Invlpg(SvmFrontEnd s) => s.InvlpgInterception();

    /// <summary>
    /// task_switch_interception. 2.6.20 gave up (KVM_EXIT_UNKNOWN); a complete VMM emulates the
    /// switch (SDM vol.3 §8.3; APM vol.2 §15.9 gives the selector and the cause in EXITINFO1/2).
    /// </summary>
    static bool TaskSwitch(SvmFrontEnd s) => s.TaskSwitchInterception();

    /// <summary>shutdown_interception: the VMCB is undefined after SHUTDOWN; 2.6.20 zeroed and re-initialised it, then KVM_EXIT_SHUTDOWN.</summary>
    static bool Shutdown(SvmFrontEnd s)
    {
        s.ReinitializeAfterShutdown();
        return false;
    }

    /// <summary>MOV from DRn (svm_get_dr): DR0–DR3 from the software copy, DR6/DR7 from the VMCB (DR4/DR5 alias them, SDM vol.3 §18.2.2).</summary>
    static bool ReadDr(SvmFrontEnd s)
    {
        var v = s.Vmcb;
        int dr = (int)v.ExitCode - SvmExitCode.ReadDr0;
        ulong value = dr switch
        {
            < 4 => s.DebugRegisters[dr],
            4 or 6 => v.Dr6,
            5 or 7 => v.Dr7,
            _ => 0,
        };
        s.WriteInstructionRegister(s.ExitInstruction.Op0Register, value);
        s.SkipInstruction();
        return true;
    }

    /// <summary>
    /// MOV to DRn (svm_set_dr): DR7.GD makes any access a #DB with DR6.BD set and GD cleared (SDM vol.3
    /// §18.2.4); DR6/DR7 with bits 63:32 set are #GP(0); DR0–DR3 go to the software copy. 2.6.20 let a
    /// DR4 write fall through to DR7; the manual makes DR4 an alias of DR6 (SDM vol.3 §18.2.2), and
    /// the manual wins.
    /// </summary>
    static bool WriteDr(SvmFrontEnd s)
    {
        var v = s.Vmcb;
        int dr = (int)v.ExitCode - SvmExitCode.WriteDr0;
        const ulong gd = 1ul << 13, bd = 1ul << 13;
        if ((v.Dr7 & gd) != 0)
        {
            v.Dr7 &= ~gd;
            v.Dr6 |= bd;
            s.QueueEvent(EventInjection.Exception(ExceptionVector.Debug, false));
            return true;
        }
        ulong value = s.ReadInstructionRegister(s.ExitInstruction.Op1Register);
        switch (dr)
        {
            case < 4:
                s.DebugRegisters[dr] = value;
                s.Vmcb.ColdDirty = true; // VMRUN reloads the breakpoint addresses if DR7 enables them
                break;
            case 4 or 6:
                if ((value >> 32) != 0) { s.InjectGeneralProtection(0); return true; }
                v.Dr6 = (value & 0xE00F) | 0xFFFF_0FF0;
                break;
            case 5 or 7:
                if ((value >> 32) != 0) { s.InjectGeneralProtection(0); return true; }
                v.Dr7 = (value & ~0xD800ul) | 0x400;
                break;
            default:
                s.InjectInvalidOpcode();
                return true;
        }
        s.SkipInstruction();
        return true;
    }
}
