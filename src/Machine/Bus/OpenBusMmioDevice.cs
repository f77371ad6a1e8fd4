namespace JitVirt.Machine.Bus;

/// <summary>Stands in for every unmapped physical range: reads return all ones, writes are dropped.</summary>
public sealed class OpenBusMmioDevice : IMmioDevice
{
    public static readonly OpenBusMmioDevice Instance = new();

    private OpenBusMmioDevice() { }

    public ulong ReadMmio(ulong offset, int size) => AccessSize.Mask(size);

    public void WriteMmio(ulong offset, int size, ulong value) { }
}
