namespace JitVirt.Machine.Devices.Pci;

/// <summary>CONFIG_ADDRESS at 0xCF8, configuration mechanism #1 (PCI 3.0 §3.2.2.3.2 Figure 3-2).</summary>
public readonly record struct PciConfigAddress(uint Raw)
{
    private const uint EnableBit = 1u << 31;

    /// <summary>Bits 30:24 are reserved and bits 1:0 read as zero (PCI 3.0 §3.2.2.3.2).</summary>
    public const uint ImplementedBits = EnableBit | 0x00FF_FFFC;

    public bool Enabled => (Raw & EnableBit) != 0;
    public int Bus => (int)((Raw >> 16) & 0xFF);        // bits 23:16
    public int Device => (int)((Raw >> 11) & 0x1F);     // bits 15:11
    public int Function => (int)((Raw >> 8) & 0x7);     // bits 10:8
    public int Register => (int)(Raw & 0xFC);           // bits 7:2, dword aligned

    public static PciConfigAddress Create(int bus, int device, int function, int register) =>
        new(EnableBit | (uint)(bus << 16) | (uint)(device << 11) | (uint)(function << 8) | (uint)(register & 0xFC));
}
