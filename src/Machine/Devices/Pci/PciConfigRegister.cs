namespace JitVirt.Machine.Devices.Pci;

/// <summary>Type 0 configuration header offsets (PCI Local Bus Spec 3.0 §6.1 Figure 6-1).</summary>
public static class PciConfigRegister
{
    public const int VendorId = 0x00;
    public const int DeviceId = 0x02;
    public const int Command = 0x04;
    public const int Status = 0x06;
    public const int RevisionId = 0x08;
    public const int ClassCode = 0x09;      // 3 bytes: programming interface, sub-class, base class
    public const int CacheLineSize = 0x0C;
    public const int LatencyTimer = 0x0D;
    public const int HeaderType = 0x0E;
    public const int Bar0 = 0x10;
    public const int BarCount = 6;
    public const int BarEnd = 0x28;
    public const int SubsystemVendorId = 0x2C;
    public const int SubsystemId = 0x2E;
    public const int InterruptLine = 0x3C;
    public const int InterruptPin = 0x3D;

    /// <summary>Configuration space of a conventional PCI function is 256 bytes (PCI 3.0 §6.1).</summary>
    public const int ConfigSpaceSize = 256;

    /// <summary>Header type bit 7: the device has more than one function (PCI 3.0 §6.2.1).</summary>
    public const byte MultiFunction = 0x80;

    /// <summary>Command bits: I/O space, memory space, bus master, INTx disable (PCI 3.0 §6.2.2 Figure 6-2).</summary>
    public const ushort CommandIoSpace = 1 << 0;
    public const ushort CommandMemorySpace = 1 << 1;
    public const ushort CommandBusMaster = 1 << 2;
    public const ushort CommandInterruptDisable = 1 << 10;
    public const ushort CommandWritable = CommandIoSpace | CommandMemorySpace | CommandBusMaster | CommandInterruptDisable;
}
