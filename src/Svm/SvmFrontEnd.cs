using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Platform;
using JitVirt.Cpu.State;
using JitVirt.Cpu.Virtualization;
using JitVirt.Virtualization;
using CpuT = JitVirt.Cpu.Cpu;

namespace JitVirt.Svm;

/// <summary>
/// The AMD SVM front end: the SVM hardware (VMCB, VMRUN, #VMEXIT, intercepts, event injection,
/// ASIDs; AMD APM vol.2 ch.15) together with the VMM that Linux 2.6.20's <c>drivers/kvm/svm.c</c>
/// was, over JitVirt's executor. The guest runs in the <see cref="JitVirt.Cpu.Cpu"/>; whenever it is
/// outside (after a #VMEXIT) its state is in <see cref="Vmcb"/> and in <see cref="Regs"/> (the
/// general registers the VMCB does not hold, 2.6.20's <c>vcpu-&gt;regs[]</c>), and handlers read and
/// write it there. Exits are in-place calls from the executor's exit stubs and hooks (see
/// <see cref="IInterceptController"/>): #VMEXIT, handler, VMRUN, continue.
/// </summary>
public sealed partial class SvmFrontEnd : IFrontEnd, IInterceptController
{
    /// <summary>NASID advertised in CPUID 0x8000000A EBX: 64, the first Athlon 64/Opteron SVM parts' count.</summary>
    public const uint DefaultAsidCount = 64;

    /// <summary>SVM revision in CPUID 0x8000000A EAX[7:0] (APM vol.3 CPUID Fn8000_000A).</summary>
    public const uint SvmRevision = 1;

    readonly CpuT _cpu;
    readonly IExecutor _executor;

    public SvmFrontEnd(CpuT cpu, IExecutor executor) : this(cpu, executor, new AsidAllocator(DefaultAsidCount)) { }

    /// <summary>A front end on a processor whose ASID pool is <paramref name="asids"/> (tests use a small NASID to see wraps).</summary>
    public SvmFrontEnd(CpuT cpu, IExecutor executor, AsidAllocator asids)
    {
        _cpu = cpu;
        _executor = executor;
        Asids = asids;
        Exits = new ExitStatistics(SvmExitHandlers.Kinds);
        Iopm.Changed += OnIopmChanged;
        Msrpm.Changed += OnMsrpmChanged;
        cpu.TlbFlushed += () => _tlbFlushes++;
    }

    public string Name => "svm";

    public ExitStatistics Exits { get; }

    public CpuT Cpu => _cpu;

    /// <summary>The guest's VMCB.</summary>
    public Vmcb Vmcb { get; } = new();

    /// <summary>The I/O permission map (its nominal host-physical address is in IOPM_BASE_PA).</summary>
    public IoPermissionMap Iopm { get; } = new();

    /// <summary>The MSR permission map (MSRPM_BASE_PA).</summary>
    public MsrPermissionMap Msrpm { get; } = new();

    /// <summary>2.6.20's <c>irq_pending</c>/<c>irq_summary</c>: vectors acknowledged from the PIC/APIC and not yet injected.</summary>
    public PendingInterrupts PendingInterrupts { get; } = new();

    /// <summary>
    /// The general registers outside the VMCB, by <see cref="Gpr"/> number (the RAX and RSP slots are
    /// unused: the VMCB holds those). 2.6.20 kept them in <c>vcpu-&gt;regs[]</c> and its VMRUN stub
    /// moved them to and from the hardware registers around every VMRUN; here the VMM's array is the
    /// processor's register file itself, so that move is the identity and costs nothing per exit.
    /// </summary>
    public ulong[] Regs => _cpu.Gpr;

    /// <summary>Guest DR0–DR3, kept in software (2.6.20 <c>db_regs[]</c>) and loaded into the processor only while DR7 enables a breakpoint.</summary>
    public ulong[] DebugRegisters { get; } = new ulong[4];

    /// <summary>The physical processor's ASID pool.</summary>
    public AsidAllocator Asids { get; }

    /// <summary>The vCPU's ASID generation (2.6.20 <c>svm-&gt;asid_generation</c>).</summary>
    public ulong AsidGeneration { get; private set; }

    /// <summary>VMRUNs that failed their consistency checks (EXITCODE = VMEXIT_INVALID).</summary>
    public long InvalidEntries { get; private set; }

    /// <summary>
    /// Called after each #VMEXIT has written EXITCODE/EXITINFO1/EXITINFO2/EXITINTINFO and before its
    /// handler runs (the point at which KVM's exit tracepoint fires). For tests and tracing.
    /// </summary>
    public Action<SvmFrontEnd>? ExitObserver { get; set; }

    /// <summary>True while the guest runs in the processor (between VMRUN and #VMEXIT).</summary>
    public bool InGuest => _inGuest;

    bool _inGuest;
    StopReason? _toUserspace;
    bool _haltedInUserspace;
    long _tlbFlushes;
    bool _iopmAnySet;

    /// <summary>
    /// KVM_SET_REGS/KVM_SET_SREGS plus 2.6.20's init_vmcb: the VMCB's control area gets 2.6.20's
    /// intercepts, the save area the processor's current architectural state, the vCPU a fresh
    /// ASID generation; pending interrupts are dropped; the front end attaches to the processor.
    /// </summary>
    public void Reset()
    {
        _inGuest = false;
        _toUserspace = null;
        _haltedInUserspace = false;
        PendingInterrupts.Clear();
        Array.Clear(DebugRegisters);
        Vmcb.Clear();
        InitControlArea();
        _cpu.Halted = false;
        SaveGuestState(_cpu.Rip);
        Vmcb.ColdDirty = true;
        AsidGeneration = 0; // differs from every pool generation: a new ASID at the first VMRUN
        _cpu.Cpuid.Svm = true;
        _cpu.Cpuid.SvmLeaf = new CpuidResult(SvmRevision, Asids.AsidCount, 0, 0);
        _cpu.AttachInterceptController(this);
        RememberInterceptConfiguration();
    }

    /// <summary>
    /// KVM_RUN: VMRUN, let the guest run until a handler needs the machine ("userspace" in 2007),
    /// the budget is spent, a device asks to stop, or the processor shuts down.
    /// </summary>
    public StopReason Run(long instructionBudget)
    {
        var cpu = _cpu;
        if (_haltedInUserspace)
        {
            if (!CanWakeFromHalt()) return StopReason.Halted;
            _haltedInUserspace = false;
        }
        long end = cpu.InstructionsRetired + instructionBudget;
        _toUserspace = null;
        if (!_inGuest && !EnterGuest()) return TakeUserspaceReason() ?? StopReason.ExitRequested;
        while (true)
        {
            long remaining = end - cpu.InstructionsRetired;
            if (remaining <= 0) { LeaveToHost(); return StopReason.BudgetExhausted; }
            var stop = _executor.Run(remaining);
            if (TakeUserspaceReason() is { } reason)
            {
                // A handler asked for the machine; the executor may also have seen a device's request.
                if (reason == StopReason.Halted) _haltedInUserspace = true;
                return reason;
            }
            switch (stop)
            {
                case StopReason.Shutdown:
                    ShutdownExit();
                    return StopReason.Shutdown;
                case StopReason.ExitRequested:
                case StopReason.Halted:
                case StopReason.BudgetExhausted:
                    LeaveToHost();
                    return stop;
            }
        }
    }

    StopReason? TakeUserspaceReason()
    {
        var r = _toUserspace;
        _toUserspace = null;
        return r;
    }

    /// <summary>The machine may wake a vCPU halted in userspace when an NMI, or an interrupt the guest accepts, is waiting.</summary>
    bool CanWakeFromHalt()
    {
        var src = _cpu.Interrupts;
        if (src is { HasPendingNmi: true }) return true;
        bool interrupts = PendingInterrupts.Any || src is { HasPendingInterrupt: true };
        return interrupts && (Vmcb.Rflags & Rflags.IF) != 0;
    }

    /// <summary>
    /// 2.6.20's init_vmcb control area (fact sheet A12): CR0/3/4 read and write, DR0–3 read, DR0–3/5/7
    /// write, #PF, and INTR, NMI, CPUID, HLT, INVLPGA, IOIO_PROT, MSR_PROT, TASK_SWITCH, SHUTDOWN
    /// and every SVM instruction; IOPM all ones; MSRPM all ones except the MSRs the VMCB holds.
    /// Two additions a complete VMM needs, where 2.6.20 gave up:
    /// <list type="bullet">
    /// <item>INVLPG is intercepted (APM vol.2 §15.9, "INVLPG intercept"): 2.6.20 left it to the
    /// shadow MMU's write protection, but a guest that changes a PTE and invalidates it must see the
    /// change, so the handler issues INVLPGA for the guest's ASID.</item>
    /// <item>TASK_SWITCH exits are emulated (APM vol.2 §15.9 "Task switch intercept"; SDM vol.3
    /// §8.3) instead of going to userspace as KVM_EXIT_UNKNOWN.</item>
    /// </list>
    /// </summary>
    void InitControlArea()
    {
        var v = Vmcb;
        const ushort cr034 = 1 << 0 | 1 << 3 | 1 << 4;
        v.InterceptCrRead = cr034;
        v.InterceptCrWrite = cr034;
        v.InterceptDrRead = 0x000F;
        v.InterceptDrWrite = 0x000F | 1 << 5 | 1 << 7;
        v.InterceptExceptions = 1u << 14;
        v.InterceptWord1 = InterceptWord1.Intr | InterceptWord1.Nmi | InterceptWord1.Cpuid | InterceptWord1.Hlt
            | InterceptWord1.Invlpg | InterceptWord1.Invlpga | InterceptWord1.IoioProt | InterceptWord1.MsrProt
            | InterceptWord1.TaskSwitch | InterceptWord1.Shutdown;
        v.InterceptWord2 = InterceptWord2.Vmrun | InterceptWord2.Vmmcall | InterceptWord2.Vmload | InterceptWord2.Vmsave
            | InterceptWord2.Stgi | InterceptWord2.Clgi | InterceptWord2.Skinit;
        v.IopmBasePa = HostLayout.Iopm;
        v.MsrpmBasePa = HostLayout.Msrpm;
        v.IntCtl = VmcbControlArea.VIntrMasking;
        Iopm.InterceptAll();
        Msrpm.InterceptAll();
        foreach (uint msr in PassThroughMsrs) Msrpm.Set(msr, false, false);
        v.TscOffset = _cpu.Msrs.Tsc - _cpu.Msrs.TimeSource.Now(_cpu);
    }

    /// <summary>
    /// 2.6.20's hardware_setup pass-through list (64-bit host): the MSRs whose values the VMCB holds
    /// and VMRUN/#VMEXIT switch, so the guest may use them without exits.
    /// </summary>
    public static readonly uint[] PassThroughMsrs =
    [
        ModelSpecificRegisters.StarMsr, ModelSpecificRegisters.SysenterCsMsr, ModelSpecificRegisters.SysenterEspMsr,
        ModelSpecificRegisters.SysenterEipMsr, ModelSpecificRegisters.FsBase, ModelSpecificRegisters.GsBase,
        ModelSpecificRegisters.KernelGsBaseMsr, ModelSpecificRegisters.LstarMsr, ModelSpecificRegisters.CstarMsr,
        ModelSpecificRegisters.SfmaskMsr,
    ];

    /// <summary>
    /// Nominal host-physical addresses of the front end's pages: the VMCB, IOPM and MSRPM live in the
    /// host (the front end), not in guest memory, as KVM's did; these are the values the VMCB's base
    /// fields carry (page-aligned, APM vol.2 §15.10–15.11).
    /// </summary>
    public static class HostLayout
    {
        public const ulong Vmcb = 0x1000, Iopm = 0x4000, Msrpm = 0x8000;
    }

    void OnIopmChanged()
    {
        _iopmAnySet = !Iopm.IsEmpty();
        if (_cpu.Intercepts == this) _cpu.InvalidateTranslatedCode();
    }

    /// <summary>RDMSR/WRMSR stubs do not depend on the MSRPM (it is read at run time), so its changes keep the code.</summary>
    void OnMsrpmChanged() { }
}
