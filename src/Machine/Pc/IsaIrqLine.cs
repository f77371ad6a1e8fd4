using JitVirt.Cpu;
using JitVirt.Machine.Bus;
using JitVirt.Machine.Devices.IoApic;
using JitVirt.Machine.Devices.Pic;

namespace JitVirt.Machine.Pc;

/// <summary>
/// One ISA interrupt wire as a PIIX-based PC routes it: to 8259 input <c>irq</c> and to I/O APIC pin
/// <c>irq</c>, except IRQ0 (the PIT), which reaches I/O APIC pin 2 (the MADT interrupt source override
/// QEMU and real chipsets report; ACPI 6.x §5.2.12.5). Lines 16-23 exist only on the I/O APIC.
/// A rising level makes the processor look for interrupts after the current instruction.
/// </summary>
public sealed class IsaIrqLine(int gsi, Pic8259Pair pic, IoApic82093AA ioApic, JitVirt.Cpu.Cpu cpu) : IInterruptLine
{
    /// <summary>I/O APIC pin of the PIT's IRQ0 (MADT override IRQ0 → GSI 2).</summary>
    public const int TimerIoApicPin = 2;

    private readonly int _ioApicPin = gsi == 0 ? TimerIoApicPin : gsi;

    public int Gsi => gsi;

    public void SetLevel(bool asserted)
    {
        if (gsi < Pic8259Pair.IrqCount) pic.SetIrq(gsi, asserted);
        ioApic.SetInputLevel(_ioApicPin, asserted);
        if (asserted) cpu.Pending |= PendingEvent.InterruptCheck;
    }
}
