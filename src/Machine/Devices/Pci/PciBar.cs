namespace JitVirt.Machine.Devices.Pci;

/// <summary>One implemented base address register: its kind, its power-of-two size, prefetchability.</summary>
public sealed record PciBar(int Index, PciBarKind Kind, ulong Size, bool Prefetchable)
{
    /// <summary>Memory BAR type bits: bit 0 = 0, bits 2:1 locatable type, bit 3 prefetchable (PCI 3.0 §6.2.5.1).</summary>
    private const uint MemoryType64 = 0b10 << 1;
    private const uint MemoryPrefetchable = 1 << 3;

    /// <summary>I/O BAR bit 0 reads as 1 (PCI 3.0 §6.2.5.1 Figure 6-6).</summary>
    private const uint IoSpaceIndicator = 1;

    public bool IsIo => Kind == PciBarKind.Io;

    /// <summary>Read-only low bits that encode the BAR type.</summary>
    public uint TypeBits => Kind switch
    {
        PciBarKind.Io => IoSpaceIndicator,
        PciBarKind.Memory64 => MemoryType64 | (Prefetchable ? MemoryPrefetchable : 0),
        _ => Prefetchable ? MemoryPrefetchable : 0,
    };

    /// <summary>Writable address bits of the low dword: everything above the size and the type bits (PCI 3.0 §6.2.5.1).</summary>
    public uint LowAddressMask => (uint)(~(Size - 1)) & (IsIo ? 0xFFFF_FFFCu : 0xFFFF_FFF0u);

    /// <summary>Writable bits of the upper dword of a 64-bit BAR.</summary>
    public uint HighAddressMask => (uint)(~(Size - 1) >> 32);

    public static bool IsPowerOfTwo(ulong size) => size != 0 && (size & (size - 1)) == 0;
}
