using System.Runtime.CompilerServices;
using JitVirt.Cpu.Platform;
using JitVirt.Mmu.Shadow;
using JitVirt.Virtualization;

namespace JitVirt.Vmx;

/// <summary>
/// KVM's tracepoints (arch/x86/kvm/trace.h) and run counters for the VMX front end. The sites are
/// KVM's: <c>kvm_exit</c> in vmx_handle_exit before the handler (info1 = exit qualification, info2 =
/// guest linear address, intr_info and error_code = the VM-exit interruption information and its
/// error code), <c>kvm_entry</c> before VMLAUNCH/VMRESUME, <c>kvm_pio</c>, <c>kvm_msr</c>,
/// <c>kvm_cpuid</c> and <c>kvm_cr</c> in handle_io / handle_rdmsr / handle_wrmsr / handle_cpuid /
/// handle_cr, <c>kvm_page_fault</c> in handle_exception for #PF, <c>kvm_inj_exception</c> when the VMM
/// queues an exception for the next entry. With no tracer each site costs one null check.
/// </summary>
public sealed partial class VmxFrontEnd : IExitTraceSource, IRunCounterSource
{
    /// <summary>Where the tracepoints go; null = tracing off.</summary>
    public IExitTracer? Tracer { get; set; }

    /// <summary>The figures this front end and its processor keep (plus the shadow MMU's when it is the guest's translator).</summary>
    public IEnumerable<RunCounter> Counters()
    {
        var list = new List<RunCounter>
        {
            new("vmEntries", "VM entries (VMLAUNCH/VMRESUME)", _hw.Entries),
            new("tlbFlushesAtEntry", "full TLB flushes at VM entry (no VPID)", _hw.EntryTlbFlushes),
            new("invvpid", "INVVPIDs (VPID-tagged flushes)", _hw.InvvpidCount),
            new("eventsInjected", "events injected (VM-entry interruption information)", _hw.EventsInjected),
        };
        if (_cpu.Translator is ShadowMmu mmu) list.AddRange(ShadowMmuCounters.Of(mmu));
        return list;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    void TraceExit(IExitTracer t, int reason)
    {
        string name = (uint)reason < VmxExitHandlers.Count && VmxExitHandlers.Kinds[reason] is { } k ? k.Name : $"0x{reason:x}";
        t.Exit((uint)Read(VmcsField.ExitReason), name, Read(VmcsField.GuestRip), Read(VmcsField.ExitQualification),
            Read(VmcsField.GuestLinearAddress), (uint)Read(VmcsField.VmExitInterruptionInfo), (uint)Read(VmcsField.VmExitInterruptionErrorCode));
    }

    /// <summary>
    /// kvm_cpuid's "found": the leaf is within the model's basic or extended range; beyond it the
    /// model answers with another leaf's values (SDM vol.2 CPUID), which KVM reports as not found.
    /// </summary>
    bool CpuidLeafDefined(uint leaf)
    {
        uint maxExtended = _cpu.Cpuid.Svm ? Math.Max(CpuidModel.MaxExtendedLeaf, 0x8000_000Au) : CpuidModel.MaxExtendedLeaf;
        return leaf < 0x8000_0000 ? leaf <= CpuidModel.MaxBasicLeaf : leaf <= maxExtended;
    }

    /// <summary>A port bus in front of the machine's that remembers the first value moved and counts the accesses (kvm_pio for string I/O).</summary>
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
