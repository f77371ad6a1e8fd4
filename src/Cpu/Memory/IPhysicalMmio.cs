namespace JitVirt.Cpu.Memory;

/// <summary>Guest-physical accesses that do not hit RAM or ROM (device registers, unmapped space).</summary>
public interface IPhysicalMmio
{
    ulong Read(ulong physicalAddress, int size);
    void Write(ulong physicalAddress, int size, ulong value);
}

/// <summary>Unmapped physical space: reads return all ones, writes are dropped (PC bus behaviour).</summary>
public sealed class OpenBusMmio : IPhysicalMmio
{
    public static readonly OpenBusMmio Instance = new();
    public ulong Read(ulong physicalAddress, int size) => size == 8 ? ulong.MaxValue : (1ul << (size * 8)) - 1;
    public void Write(ulong physicalAddress, int size, ulong value) { }
}
