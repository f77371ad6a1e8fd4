using JitVirt.Cpu.Platform;
using JitVirt.Machine.Devices.Apic;
using JitVirt.Machine.Devices.Pic;

namespace JitVirt.Machine.Pc;

/// <summary>
/// The processor's INTR/NMI inputs on a PC with an 8259 pair and a local APIC (SDM vol.3 §11.5.1, MP spec
/// §3.6.2): while the APIC is software-disabled, or LINT0 passes the 8259 through as ExtINT (virtual wire),
/// the PIC's INT output drives INTR; once the guest software-enables the APIC with LINT0 not in ExtINT mode,
/// only APIC vectors are delivered (an ExtINT message still fetches the vector from the PIC). APIC vectors
/// accepted from the APIC timer or the I/O APIC are delivered in virtual-wire mode too. NMIs come from the
/// APIC (LINT1, NMI IPIs/messages) or from the host through <see cref="RaiseNmi"/>.
/// </summary>
public sealed class PcInterruptRouter(Pic8259Pair pic, LocalApic apic) : IInterruptSource
{
    private bool _hostNmi;

    /// <summary>True when the PIC's INT output reaches the processor (APIC off, software-disabled, or virtual wire).</summary>
    public bool PicDrivesIntr => !apic.IsSoftwareEnabled || apic.Lint0ExtIntPassThrough;

    private bool ApicDelivers => apic.IsHardwareEnabled && apic.IsSoftwareEnabled;

    public bool HasPendingInterrupt =>
        (ApicDelivers && (apic.State.ExtIntPending || apic.TryGetHighestDeliverable(out _)))
        || (PicDrivesIntr && pic.HasInterrupt);

    public byte AcknowledgeInterrupt()
    {
        if (ApicDelivers)
        {
            if (apic.TryTakePendingExtInt()) return (byte)pic.Acknowledge();
            if (apic.TryGetHighestDeliverable(out _)) return (byte)apic.Acknowledge();
        }
        if (PicDrivesIntr) return (byte)pic.Acknowledge(); // with no request left the PIC answers its spurious IR7
        return (byte)apic.Acknowledge(); // nothing deliverable any more: the APIC's spurious vector (SDM vol.3 §11.9)
    }

    public bool HasPendingNmi => _hostNmi || apic.State.NmiPending;

    public void AcknowledgeNmi()
    {
        if (_hostNmi) _hostNmi = false;
        else apic.TryTakePendingNmi();
    }

    /// <summary>Latches an NMI from the host (a front end's "nmi" monitor command).</summary>
    public void RaiseNmi() => _hostNmi = true;
}
