using JitVirt.Cpu.Execution;

namespace JitVirt.Virtualization;

/// <summary>
/// A hardware-virtualization front end hosting one vCPU: the VMM (Linux 2.6.20's svm.c or vmx.c) and
/// the virtualization hardware it drives, over JitVirt's executor. <see cref="Run"/> is KVM_RUN:
/// enter the guest, handle exits in the front end's own table, and come back to the machine (the
/// part QEMU played in 2007) when a handler needs it or the budget is spent.
/// </summary>
public interface IFrontEnd
{
    /// <summary>"svm" or "vmx".</summary>
    string Name { get; }

    /// <summary>Per-exit-kind counts and handling times, for <c>perf kvm stat</c>-style reports.</summary>
    ExitStatistics Exits { get; }

    /// <summary>Runs the guest for at most <paramref name="instructionBudget"/> instructions (see <see cref="StopReason"/>).</summary>
    StopReason Run(long instructionBudget);

    /// <summary>
    /// The machine (a reset, a loader) wrote a fresh architectural state into the <see cref="JitVirt.Cpu.Cpu"/>:
    /// take it as the guest's state, as KVM_SET_REGS/KVM_SET_SREGS did (build the VMCB or VMCS from it,
    /// clear pending events, new ASID/VPID generation).
    /// </summary>
    void Reset();
}
