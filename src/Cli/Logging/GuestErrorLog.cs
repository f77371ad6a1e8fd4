using Iced.Intel;
using JitVirt.Cpu;
using JitVirt.Cpu.State;
using JitVirt.Cpu.Virtualization;

namespace JitVirt.Cli.Logging;

/// <summary>
/// <c>-d guest_errors</c>: the guest's mistakes JitVirt can see, one line each. QEMU's item of the same
/// name logs accesses its memory core rejects; JitVirt's choice (documented in the README):
/// an instruction JitVirt decodes but does not implement, which raises #UD in the guest (written when
/// the #UD is delivered); an access to an I/O port no device answers (<see cref="UnassignedPortLog"/>;
/// QEMU's x86 I/O space answers those silently); and a triple fault ("Triple fault", QEMU's
/// cpu_reset line, written by <see cref="QemuLog"/>). Unassigned MMIO is not reported yet.
/// </summary>
public sealed class GuestErrorLog(TextWriter log)
{
    private const byte InvalidOpcodeVector = 6; // #UD, SDM vol.3 §7.15
    private readonly Dictionary<Mnemonic, long> _reported = [];

    public void OnDelivering(JitVirt.Cpu.Cpu cpu, EventInDelivery e)
    {
        if (e.Vector == InvalidOpcodeVector && e.Kind == EventKind.Fault) ReportUnimplemented(cpu);
    }

    /// <summary>Writes a line for each unimplemented instruction executed since the last call (at a #UD, and at the end of the run).</summary>
    public void ReportUnimplemented(JitVirt.Cpu.Cpu cpu)
    {
        foreach (var (mnemonic, count) in cpu.UnimplementedInstructions)
        {
            _reported.TryGetValue(mnemonic, out long before);
            if (count == before) continue;
            var cs = cpu.Segments[SegmentIndex.Cs];
            log.Write($"guest error: unimplemented instruction '{mnemonic.ToString().ToLowerInvariant()}' at {cs.Selector:x4}:{cpu.Rip:x16} raised #UD\n");
            _reported[mnemonic] = count;
        }
    }
}
