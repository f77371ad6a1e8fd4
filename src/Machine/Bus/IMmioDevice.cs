namespace JitVirt.Machine.Bus;

/// <summary>
/// A device reached through memory-mapped I/O. <paramref name="offset"/> is relative to the start of
/// the range the device was mapped at; <paramref name="size"/> is 1, 2, 4 or 8 bytes.
/// </summary>
public interface IMmioDevice
{
    ulong ReadMmio(ulong offset, int size);
    void WriteMmio(ulong offset, int size, ulong value);
}
