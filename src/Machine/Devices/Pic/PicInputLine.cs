using JitVirt.Machine.Bus;

namespace JitVirt.Machine.Devices.Pic;

/// <summary>One ISA IRQ wire into the PIC pair.</summary>
internal sealed class PicInputLine(Pic8259Pair pair, int irq) : IInterruptLine
{
    public void SetLevel(bool asserted) => pair.SetIrq(irq, asserted);
}
