namespace JitVirt.Machine.Devices.Pci;

/// <summary>What a base address register decodes (PCI 3.0 §6.2.5.1 Figures 6-5 and 6-6).</summary>
public enum PciBarKind : byte
{
    Io,
    Memory32,
    Memory64,
}
