using JitVirt.Cpu;
using JitVirt.Machine.Bus;

namespace JitVirt.Machine.Pc;

/// <summary>
/// Wraps an interrupt controller's register page: any write (EOI, TPR, ICR, an unmasked redirection entry)
/// may make an interrupt deliverable, so the processor re-checks after the instruction.
/// </summary>
public sealed class InterruptCheckingMmio(IMmioDevice inner, JitVirt.Cpu.Cpu cpu) : IMmioDevice
{
    public ulong ReadMmio(ulong offset, int size) => inner.ReadMmio(offset, size);

    public void WriteMmio(ulong offset, int size, ulong value)
    {
        inner.WriteMmio(offset, size, value);
        cpu.Pending |= PendingEvent.InterruptCheck;
    }
}
