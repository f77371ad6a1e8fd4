using JitVirt.Cpu.Memory;
using JitVirt.Machine.Bus;

namespace JitVirt.Machine.Pc;

/// <summary>Physical accesses that miss RAM and ROM, onto the machine's <see cref="MmioBus"/>.</summary>
public sealed class MmioAdapter(MmioBus bus) : IPhysicalMmio
{
    public ulong Read(ulong physicalAddress, int size) => bus.Read(physicalAddress, size);

    public void Write(ulong physicalAddress, int size, ulong value) => bus.Write(physicalAddress, size, value);
}
