using JitVirt.Machine.Bus;

namespace JitVirt.Machine.Devices.IoApic;

/// <summary>One of the 24 interrupt input pins of the I/O APIC, as an <see cref="IInterruptLine"/> devices can drive.</summary>
public sealed class IoApicInputLine(IoApic82093AA ioApic, int pin) : IInterruptLine
{
    public int Pin { get; } = pin;

    public void SetLevel(bool asserted) => ioApic.SetInputLevel(Pin, asserted);
}
