namespace JitVirt.Machine.Devices.Apic;

/// <summary>
/// Where the I/O APIC sends its interrupt messages. With one vCPU the <see cref="LocalApic"/> itself
/// implements it; a multi-CPU machine would put an APIC-bus fan-out here.
/// </summary>
public interface IApicInterruptDelivery
{
    /// <summary>Delivers a message; returns true when some local APIC accepted it.</summary>
    bool Deliver(in ApicInterruptMessage message);
}
