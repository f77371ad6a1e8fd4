namespace JitVirt.Machine.Devices.Pci;

/// <summary>
/// Host bridge at 00:00.0 modelled on the Intel 82441FX PMC (440FX datasheet §3.2: vendor 8086,
/// device 1237, revision 02, class 06/00/00). Departure: the PAM (0x59–0x5F) and SMRAM (0x72)
/// registers are plain storage so firmware can program them; they do not change memory decoding.
/// </summary>
public sealed class I440FxHostBridge : PciFunction
{
    public const ushort IntelVendorId = 0x8086;
    public const ushort DeviceId82441 = 0x1237;
    private const byte Revision = 0x02;
    private const byte BridgeClass = 0x06;       // PCI 3.0 Appendix D: base class 06h bridge
    private const byte HostBridgeSubClass = 0x00;
    private const int ProgrammableAttributeMapFirst = 0x59; // PAM0..PAM6 (440FX datasheet §3.2.18)
    private const int ProgrammableAttributeMapCount = 7;
    private const int SystemManagementRam = 0x72;           // SMRAM (440FX datasheet §3.2.22)

    public I440FxHostBridge()
        : base(IntelVendorId, DeviceId82441, Revision, BridgeClass, HostBridgeSubClass, 0, headerType: 0)
    {
        for (int i = 0; i < ProgrammableAttributeMapCount; i++) MakeWritable(ProgrammableAttributeMapFirst + i, 0xFF);
        MakeWritable(SystemManagementRam, 0xFF);
    }
}
