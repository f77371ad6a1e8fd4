using JitVirt.Machine.Bus;

namespace JitVirt.Machine.Devices.SystemControl;

// Departures: bit 0 reads back as written (some chipsets self-clear it); only bits 0, 1 and 3 are kept.

/// <summary>
/// Port 92h, "System Control Port A" (IBM PS/2 Technical Reference; Intel PIIX4 "PORT92"): bit 0 fast
/// reset (a 0→1 transition resets the CPU), bit 1 A20 gate (reported to the machine), bit 3 lock.
/// </summary>
public sealed class SystemControlPortA(Action resetRequested, Action<bool> a20Changed) : IPortIoDevice
{
    public const ushort Port = 0x92;
    private const byte FastReset = 0x01; // PORT92 bit 0 "ALT_RST#": 0→1 transition pulses INIT
    private const byte A20Gate = 0x02; // PORT92 bit 1 "ALT_A20_GATE"
    private const byte WritableBits = 0x0B; // bits 0, 1 and 3 (password lock); others read 0

    private byte _value = A20Gate; // the machine starts with A20 enabled, as QEMU's PC does

    public bool A20Enabled => (_value & A20Gate) != 0;

    public uint ReadPort(ushort port, int size) => _value;

    public void WritePort(ushort port, int size, uint value)
    {
        byte previous = _value;
        _value = (byte)(value & WritableBits);
        if (((previous ^ _value) & A20Gate) != 0) a20Changed(A20Enabled);
        if ((previous & FastReset) == 0 && (_value & FastReset) != 0) resetRequested();
    }
}
