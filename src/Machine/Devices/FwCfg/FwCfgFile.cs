namespace JitVirt.Machine.Devices.FwCfg;

/// <summary>One named item in the fw_cfg file directory: its selector and contents.</summary>
public sealed record FwCfgFile(string Name, ushort Selector, byte[] Data);
