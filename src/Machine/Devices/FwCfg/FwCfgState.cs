namespace JitVirt.Machine.Devices.FwCfg;

/// <summary>Plain state of the fw_cfg port interface: the selected item and the read offset into it.</summary>
public sealed record FwCfgState
{
    public ushort Selector;
    public int Offset;
}
