using JitVirt.Machine.Bus;

namespace JitVirt.Machine.Devices.SystemControl;

// Departures: the soft/hard distinction (SYS_RST) is reported, not acted upon; FULL_RST (bit 3) is stored only.

/// <summary>
/// Reset Control Register at CF9h (Intel PIIX4 datasheet, "RC—Reset Control Register"): a 0→1 transition
/// of RST_CPU (bit 2) requests a reset, hard when SYS_RST (bit 1) is set. Answers byte accesses at CF9h
/// only: the PCI host bridge owns CF8h (32-bit CONFIG_ADDRESS) and CFAh-CFFh.
/// </summary>
public sealed class ResetControlRegister(Action<bool> resetRequested) : IPortIoDevice
{
    public const ushort Port = 0xCF9;
    private const byte SystemReset = 0x02; // SYS_RST: 1 = hard reset
    private const byte ResetCpu = 0x04; // RST_CPU: 0→1 initiates the reset
    private const byte WritableBits = 0x0E; // bits 1-3

    private byte _value;

    public uint ReadPort(ushort port, int size) => _value;

    public void WritePort(ushort port, int size, uint value)
    {
        byte previous = _value;
        _value = (byte)(value & WritableBits);
        if ((previous & ResetCpu) == 0 && (_value & ResetCpu) != 0)
        {
            bool hard = (_value & SystemReset) != 0;
            _value &= unchecked((byte)~ResetCpu); // the reset clears the register (PIIX4: default 00h)
            resetRequested(hard);
        }
    }
}
