namespace JitVirt.Machine.Devices.Pci;

/// <summary>
/// PCI-to-ISA bridge at 00:01.0 modelled on the PIIX3 function 0 (82371SB datasheet §2.2: vendor
/// 8086, device 7000, class 06/01/00, multi-function header). Departure: the PIRQ route control
/// registers PIRQRC[A:D] (0x60–0x63) are stored but do not steer interrupts; the machine wires
/// PCI INTx lines itself.
/// </summary>
public sealed class Piix3IsaBridge : PciFunction
{
    public const ushort DeviceIdPiix3Isa = 0x7000;
    private const byte BridgeClass = 0x06;      // PCI 3.0 Appendix D: base class 06h bridge
    private const byte IsaBridgeSubClass = 0x01;
    public const int PirqRouteControlFirst = 0x60;   // PIRQRC[A:D] (82371SB datasheet §2.2.9)
    public const int PirqRouteCount = 4;
    /// <summary>PIRQRC reset value: bit 7 set = routing disabled (82371SB datasheet §2.2.9).</summary>
    public const byte PirqRouteDisabled = 0x80;

    public Piix3IsaBridge()
        : base(I440FxHostBridge.IntelVendorId, DeviceIdPiix3Isa, 0, BridgeClass, IsaBridgeSubClass, 0, PciConfigRegister.MultiFunction)
    {
        for (int i = 0; i < PirqRouteCount; i++)
        {
            SetByte(PirqRouteControlFirst + i, PirqRouteDisabled);
            MakeWritable(PirqRouteControlFirst + i, 0x8F); // bit 7 disable, bits 3:0 IRQ number
        }
    }

    /// <summary>ISA IRQ routed to PIRQ <paramref name="pirq"/> (0 = A), or -1 when disabled.</summary>
    public int GetPirqRoute(int pirq)
    {
        byte value = GetByte(PirqRouteControlFirst + pirq);
        return (value & PirqRouteDisabled) != 0 ? -1 : value & 0x0F;
    }
}
