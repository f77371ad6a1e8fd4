using JitVirt.Cpu;
using JitVirt.Cpu.State;
using JitVirt.Cpu.Virtualization;

namespace JitVirt.Cli.Logging;

/// <summary>
/// QEMU's <c>-d int</c> (target/i386/tcg/seg_helper.c, do_interrupt_all, and the hardware-interrupt
/// line of x86_cpu_exec_interrupt): "Servicing hardware INT=0xNN" for each external interrupt taken, and
/// for every event delivered while CR0.PE is set (QEMU logs nothing for real-mode deliveries) the line
/// <c>%6d: v=%02x e=%04x i=%d cpl=%d IP=%04x:%016lx pc=%016lx SP=%04x:%016lx</c> followed by CR2 for a
/// page fault or RAX otherwise, then the register dump without the FPU part (log_cpu_state with
/// CPU_DUMP_CCOP). A #DF formed while delivering an event is logged as a delivery of its own, as in QEMU.
/// Departures: QEMU's "check_exception old: ... new ..." lines are not written; under a front end the
/// dump is the processor state the guest runs with (e.g. the shadow CR3, CR0 bits VMX fixes to 1), not the
/// guest's view of it, and only events the processor really delivers appear (a shadow-MMU fault the front
/// end resolves is never delivered to the guest, so it is not logged; --trace kvm_page_fault shows it).
/// </summary>
public sealed class InterruptLog(TextWriter log)
{
    private const ulong Cr0Pe = 1; // CR0.PE, SDM vol.3 §2.5
    private const byte PageFaultVector = 0x0E;

    /// <summary>QEMU's static counter: deliveries logged so far.</summary>
    public int Count { get; private set; }

    public void OnDelivering(JitVirt.Cpu.Cpu cpu, EventInDelivery e)
    {
        if (e.Kind == EventKind.External && !e.IsNmi) log.Write($"Servicing hardware INT=0x{e.Vector:x2}\n");
        if ((cpu.Cr0 & Cr0Pe) == 0) return;
        // env->eip: the faulting or interrupted instruction, an INT n itself; a trap is taken after its instruction.
        ulong eip = e.Kind == EventKind.Trap ? cpu.NextRip : cpu.Rip;
        var cs = cpu.Segments[SegmentIndex.Cs];
        var ss = cpu.Segments[SegmentIndex.Ss];
        // QEMU adds (int)segs[R_CS].base: the low 32 bits of the base, sign-extended.
        ulong pc = unchecked((ulong)(int)(uint)cs.Base + eip);
        int isInt = e.Kind == EventKind.Software ? 1 : 0;
        uint errorCode = e.HasErrorCode ? e.ErrorCode : 0;
        log.Write($"{Count,6}: v={e.Vector:x2} e={errorCode:x4} i={isInt} cpl={cpu.Cpl} IP={cs.Selector:x4}:{eip:x16} pc={pc:x16} SP={ss.Selector:x4}:{cpu.Gpr[Gpr.Rsp]:x16}");
        if (e.Vector == PageFaultVector) log.Write($" CR2={cpu.Cr2:x16}\n");
        else log.Write($" env->regs[R_EAX]={cpu.Gpr[Gpr.Rax]:x16}\n");
        log.Write(CpuStateDump.Format(cpu, includeFpu: false));
        Count++;
    }
}
