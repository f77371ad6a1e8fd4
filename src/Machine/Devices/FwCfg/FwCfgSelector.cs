namespace JitVirt.Machine.Devices.FwCfg;

/// <summary>Selector keys and bits of the fw_cfg interface (QEMU docs/specs/fw_cfg.rst).</summary>
public static class FwCfgSelector
{
    public const ushort Signature = 0x0000;
    public const ushort Id = 0x0001;
    public const ushort RamSize = 0x0003;
    public const ushort NbCpus = 0x0005;
    public const ushort MaxCpus = 0x000F;
    public const ushort FileDirectory = 0x0019;
    /// <summary>First key of the "file" items listed in the directory.</summary>
    public const ushort FileFirst = 0x0020;

    /// <summary>Bit 14 asks for write mode (ignored: writes through the data port are no-ops).</summary>
    public const ushort WriteBit = 1 << 14;
    /// <summary>Bit 15 selects the architecture-specific table.</summary>
    public const ushort ArchitectureBit = 1 << 15;
    /// <summary>Bits 13:0 are the item key within its table.</summary>
    public const ushort KeyMask = 0x3FFF;
}
