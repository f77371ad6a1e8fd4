using System.Runtime.CompilerServices;
using Iced.Intel;
using JitVirt.Cpu.Platform;
using JitVirt.Mmu.Shadow;
using JitVirt.Virtualization;

namespace JitVirt.Svm;

/// <summary>
/// KVM's tracepoints (arch/x86/kvm/trace.h) and run counters for the SVM front end. Each tracepoint
/// is raised where KVM raises it: <c>kvm_exit</c> in handle_exit before the handler, <c>kvm_entry</c>
/// just before VMRUN, <c>kvm_pio</c>, <c>kvm_msr</c>, <c>kvm_cpuid</c> in their handlers,
/// <c>kvm_cr</c> in cr_interception (for MOV CR, the decode-assist path: JitVirt's decoder gives the
/// operand as decode assists would), <c>kvm_page_fault</c> in pf_interception and
/// <c>kvm_inj_exception</c> when an exception is queued into EVENTINJ. With no tracer each site costs
/// one null check; the formatting work sits in the cold methods here.
/// </summary>
public sealed partial class SvmFrontEnd : IExitTraceSource, IRunCounterSource
{
    /// <summary>Where the tracepoints go; null = tracing off.</summary>
    public IExitTracer? Tracer { get; set; }

    // ------------------------------------------------------------------ counters

    long _asidAllocations, _asidRollovers, _vmrunTlbFlushes, _invlpgaFlushes, _eventsInjected, _vmruns;

    /// <summary>The figures this front end keeps (plus the shadow MMU's when it is the guest's translator).</summary>
    public IEnumerable<RunCounter> Counters()
    {
        var list = new List<RunCounter>
        {
            new("vmEntries", "VMRUNs", _vmruns),
            new("asidAllocations", "ASIDs assigned (new_asid)", _asidAllocations),
            new("asidGenerationRollovers", "ASID generation rollovers (TLB_CONTROL flush-all)", _asidRollovers),
            new("tlbTagFlushes", "TLB flushes at VMRUN (ASID switch or flush-all)", _vmrunTlbFlushes),
            new("tlbPageFlushes", "TLB page flushes (INVLPGA)", _invlpgaFlushes),
            new("eventsInjected", "events injected (EVENTINJ)", _eventsInjected),
        };
        if (_cpu.Translator is ShadowMmu mmu) list.AddRange(ShadowMmuCounters.Of(mmu));
        return list;
    }

    // ------------------------------------------------------------------ cold tracepoint bodies

    /// <summary>kvm_exit: the exit fields as #VMEXIT wrote them (EXITINTINFO's low half is intr_info, its error code error_code).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    void TraceExit(IExitTracer t, int exitCode)
    {
        var v = Vmcb;
        string name = (uint)exitCode < SvmExitCode.TableSize && SvmExitHandlers.Kinds[exitCode] is { } k ? k.Name : $"0x{exitCode:x}";
        t.Exit((uint)exitCode, name, v.Rip, v.ExitInfo1, v.ExitInfo2, v.ExitIntInfo.Value, v.ExitIntInfoErrorCode);
    }

    /// <summary>kvm_cpuid: leaf, subleaf, the four results, and whether the model defines the leaf (KVM: "cpuid entry found").</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal void TraceCpuid(IExitTracer t, uint leaf, uint subleaf, in CpuidResult r)
        => t.Cpuid(leaf, subleaf, r.Eax, r.Ebx, r.Ecx, r.Edx, CpuidLeafDefined(leaf));

    /// <summary>
    /// Whether <paramref name="leaf"/> is within the model's basic or extended range; beyond it the
    /// model answers with another leaf's values (SDM vol.2 CPUID), which KVM reports as "not found".
    /// </summary>
    bool CpuidLeafDefined(uint leaf)
    {
        uint maxExtended = _cpu.Cpuid.Svm ? Math.Max(CpuidModel.MaxExtendedLeaf, 0x8000_000Au) : CpuidModel.MaxExtendedLeaf;
        return leaf < 0x8000_0000 ? leaf <= CpuidModel.MaxBasicLeaf : leaf <= maxExtended;
    }

    /// <summary>
    /// MOV to/from CRn under cr_interception: the write traces the source operand before the write
    /// (kvm_cr_write), the read the value the emulation put in the destination (kvm_cr_read).
    /// LMSW, CLTS and SMSW exits are emulated without a trace, as KVM's SVM did without decode assists.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal bool EmulateCrAccessTraced(IExitTracer t)
    {
        ref readonly var i = ref _exitInstruction;
        if (i.Mnemonic != Mnemonic.Mov) return EmulateInstruction();
        if (i.Op0Register.IsCR())
        {
            t.Cr(true, i.Op0Register - Register.CR0, ReadInstructionRegister(i.Op1Register));
            return EmulateInstruction();
        }
        bool resume = EmulateInstruction();
        t.Cr(false, i.Op1Register - Register.CR0, ReadInstructionRegister(i.Op0Register));
        return resume;
    }

    /// <summary>
    /// String I/O under a tracer: the emulation's port accesses go through a tap that keeps the
    /// first element and counts them, and kvm_pio reports the batch (KVM traces one event per
    /// batch with the first value). A REP with a zero count makes no access and no event.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal bool EmulateStringIoTraced(IExitTracer t, ulong info)
    {
        var bus = _cpu.Io;
        var tap = new FirstAccessTap(bus);
        _cpu.Io = tap;
        bool resume;
        try { resume = EmulateInstruction(); }
        finally { _cpu.Io = bus; }
        if (tap.Count > 0)
            t.Pio((info & IoExitInfo.TypeIn) == 0, (ushort)(info >> IoExitInfo.PortShift), (int)(info >> IoExitInfo.SizeShift) & 7, tap.Count, tap.First);
        return resume;
    }

    /// <summary>A port bus in front of the machine's that remembers the first value moved and counts the accesses.</summary>
    sealed class FirstAccessTap(IPortIo inner) : IPortIo
    {
        public int Count { get; private set; }
        public uint First { get; private set; }

        public uint In(ushort port, int size)
        {
            uint value = inner.In(port, size);
            if (Count++ == 0) First = value;
            return value;
        }

        public void Out(ushort port, int size, uint value)
        {
            if (Count++ == 0) First = value;
            inner.Out(port, size, value);
        }
    }
}
