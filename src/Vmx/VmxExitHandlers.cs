using JitVirt.Virtualization;

namespace JitVirt.Vmx;

/// <summary>
/// The exit-handler table indexed by basic exit reason, modelled on 2.6.20's
/// <c>kvm_vmx_exit_handlers[]</c> (10 entries there: exception, external interrupt, I/O, CR, DR,
/// CPUID, RDMSR, WRMSR, interrupt window, HLT) and extended where a complete VMM must handle more.
/// Names are the ones <c>perf kvm stat</c> prints for VMX (Linux <c>uapi/asm/vmx.h</c>
/// VMX_EXIT_REASONS), so the statistics can be diffed with it.
/// </summary>
public static unsafe class VmxExitHandlers
{
    public const int Count = ExitReason.Count;

    static readonly delegate*<VmxFrontEnd, bool>[] Handlers = Build(out Kinds);

    /// <summary>The statistics rows (KVM's names and the shared categories), null where no exit reason is defined.</summary>
    public static readonly ExitKind?[] Kinds;

    /// <summary>True when the table has a handler for <paramref name="reason"/>.</summary>
    public static bool Has(int reason) => (uint)reason < Count && Handlers[reason] != null;

    /// <summary>Runs the handler of <paramref name="reason"/>; true = resume the guest.</summary>
    public static bool Dispatch(VmxFrontEnd vmm, int reason)
    {
        var h = Handlers[reason];
        return h != null ? h(vmm) : vmm.HandleUnknown();
    }

    static delegate*<VmxFrontEnd, bool>[] Build(out ExitKind?[] kinds)
    {
        var t = new delegate*<VmxFrontEnd, bool>[Count];
        kinds = new ExitKind?[Count];
        void Row(int reason, string name, ExitCategory category, delegate*<VmxFrontEnd, bool> handler, ExitKind?[] k)
        {
            k[reason] = new ExitKind(name, category);
            t[reason] = handler;
        }
        Row(ExitReason.ExceptionOrNmi, "EXCEPTION_NMI", ExitCategory.Exception, &VmxFrontEnd.HandleException, kinds);
        Row(ExitReason.ExternalInterrupt, "EXTERNAL_INTERRUPT", ExitCategory.ExternalInterrupt, &VmxFrontEnd.HandleExternalInterrupt, kinds);
        Row(ExitReason.TripleFault, "TRIPLE_FAULT", ExitCategory.Shutdown, &VmxFrontEnd.HandleTripleFault, kinds);
        Row(ExitReason.InitSignal, "INIT_SIGNAL", ExitCategory.Other, null, kinds);
        Row(ExitReason.StartupIpi, "SIPI_SIGNAL", ExitCategory.Other, null, kinds);
        Row(ExitReason.InterruptWindow, "INTERRUPT_WINDOW", ExitCategory.InterruptWindow, &VmxFrontEnd.HandleInterruptWindow, kinds);
        Row(ExitReason.NmiWindow, "NMI_WINDOW", ExitCategory.InterruptWindow, null, kinds);
        Row(ExitReason.TaskSwitch, "TASK_SWITCH", ExitCategory.TaskSwitch, &VmxFrontEnd.HandleTaskSwitch, kinds);
        Row(ExitReason.Cpuid, "CPUID", ExitCategory.Cpuid, &VmxFrontEnd.HandleCpuid, kinds);
        Row(ExitReason.Getsec, "GETSEC", ExitCategory.Other, &VmxFrontEnd.HandleUndefinedInstruction, kinds);
        Row(ExitReason.Hlt, "HLT", ExitCategory.Hlt, &VmxFrontEnd.HandleHalt, kinds);
        Row(ExitReason.Invd, "INVD", ExitCategory.Other, &VmxFrontEnd.HandleSkip, kinds);
        Row(ExitReason.Invlpg, "INVLPG", ExitCategory.Invlpg, &VmxFrontEnd.HandleInvlpg, kinds);
        Row(ExitReason.Rdpmc, "RDPMC", ExitCategory.Other, &VmxFrontEnd.HandleRdpmc, kinds);
        Row(ExitReason.Rdtsc, "RDTSC", ExitCategory.Rdtsc, &VmxFrontEnd.HandleRdtsc, kinds);
        Row(ExitReason.Rsm, "RSM", ExitCategory.Other, null, kinds);
        Row(ExitReason.Vmcall, "VMCALL", ExitCategory.Hypercall, &VmxFrontEnd.HandleUndefinedInstruction, kinds);
        Row(ExitReason.Vmclear, "VMCLEAR", ExitCategory.VirtualizationInstruction, &VmxFrontEnd.HandleUndefinedInstruction, kinds);
        Row(ExitReason.Vmlaunch, "VMLAUNCH", ExitCategory.VirtualizationInstruction, &VmxFrontEnd.HandleUndefinedInstruction, kinds);
        Row(ExitReason.Vmptrld, "VMPTRLD", ExitCategory.VirtualizationInstruction, &VmxFrontEnd.HandleUndefinedInstruction, kinds);
        Row(ExitReason.Vmptrst, "VMPTRST", ExitCategory.VirtualizationInstruction, &VmxFrontEnd.HandleUndefinedInstruction, kinds);
        Row(ExitReason.Vmread, "VMREAD", ExitCategory.VirtualizationInstruction, &VmxFrontEnd.HandleUndefinedInstruction, kinds);
        Row(ExitReason.Vmresume, "VMRESUME", ExitCategory.VirtualizationInstruction, &VmxFrontEnd.HandleUndefinedInstruction, kinds);
        Row(ExitReason.Vmwrite, "VMWRITE", ExitCategory.VirtualizationInstruction, &VmxFrontEnd.HandleUndefinedInstruction, kinds);
        Row(ExitReason.Vmxoff, "VMOFF", ExitCategory.VirtualizationInstruction, &VmxFrontEnd.HandleUndefinedInstruction, kinds);
        Row(ExitReason.Vmxon, "VMON", ExitCategory.VirtualizationInstruction, &VmxFrontEnd.HandleUndefinedInstruction, kinds);
        Row(ExitReason.CrAccess, "CR_ACCESS", ExitCategory.CrWrite, &VmxFrontEnd.HandleCrAccess, kinds);
        Row(ExitReason.DrAccess, "DR_ACCESS", ExitCategory.DrAccess, &VmxFrontEnd.HandleDrAccess, kinds);
        Row(ExitReason.IoInstruction, "IO_INSTRUCTION", ExitCategory.Io, &VmxFrontEnd.HandleIo, kinds);
        Row(ExitReason.MsrRead, "MSR_READ", ExitCategory.MsrRead, &VmxFrontEnd.HandleRdmsr, kinds);
        Row(ExitReason.MsrWrite, "MSR_WRITE", ExitCategory.MsrWrite, &VmxFrontEnd.HandleWrmsr, kinds);
        Row(ExitReason.InvalidGuestState, "INVALID_STATE", ExitCategory.Invalid, null, kinds);
        Row(ExitReason.MsrLoading, "MSR_LOAD_FAIL", ExitCategory.Invalid, null, kinds);
        Row(ExitReason.Mwait, "MWAIT_INSTRUCTION", ExitCategory.Other, &VmxFrontEnd.HandleSkip, kinds);
        Row(ExitReason.MonitorTrapFlag, "MONITOR_TRAP_FLAG", ExitCategory.Other, null, kinds);
        Row(ExitReason.Monitor, "MONITOR_INSTRUCTION", ExitCategory.Other, &VmxFrontEnd.HandleSkip, kinds);
        Row(ExitReason.Pause, "PAUSE_INSTRUCTION", ExitCategory.Pause, &VmxFrontEnd.HandleSkip, kinds);
        Row(ExitReason.MachineCheck, "MCE_DURING_VMENTRY", ExitCategory.Invalid, null, kinds);
        Row(ExitReason.TprBelowThreshold, "TPR_BELOW_THRESHOLD", ExitCategory.Other, null, kinds);
        Row(ExitReason.Invept, "INVEPT", ExitCategory.VirtualizationInstruction, &VmxFrontEnd.HandleUndefinedInstruction, kinds);
        Row(ExitReason.Rdtscp, "RDTSCP", ExitCategory.Rdtsc, &VmxFrontEnd.HandleRdtsc, kinds);
        Row(ExitReason.PreemptionTimer, "PREEMPTION_TIMER", ExitCategory.Other, null, kinds);
        Row(ExitReason.Invvpid, "INVVPID", ExitCategory.VirtualizationInstruction, &VmxFrontEnd.HandleUndefinedInstruction, kinds);
        Row(ExitReason.Wbinvd, "WBINVD", ExitCategory.Other, &VmxFrontEnd.HandleSkip, kinds);
        Row(ExitReason.Xsetbv, "XSETBV", ExitCategory.Other, &VmxFrontEnd.HandleUndefinedInstruction, kinds);
        return t;
    }
}
