namespace JitVirt.Cpu.Platform;

/// <summary>
/// The processor's INTR input and the interrupt-acknowledge cycle (the PIC or the local APIC),
/// plus the NMI input.
/// </summary>
public interface IInterruptSource
{
    /// <summary>A maskable interrupt is requested (INTR asserted / the APIC has a deliverable vector).</summary>
    bool HasPendingInterrupt { get; }

    /// <summary>Runs the acknowledge cycle and returns the vector to deliver.</summary>
    byte AcknowledgeInterrupt();

    /// <summary>An NMI is latched; reading it does not clear it (see <see cref="AcknowledgeNmi"/>).</summary>
    bool HasPendingNmi { get; }

    void AcknowledgeNmi();
}
