using JitVirt.Machine.Bus;
using JitVirt.Machine.Devices.Pit;
using JitVirt.Machine.Time;

namespace JitVirt.Machine.Devices.SystemControl;

// Departures: no NMI sources exist, so bits 6-7 (IOCHK/SERR status) always read 0 and bits 2-3 only store.

/// <summary>
/// Port 61h, "NMI Status and Control Register" (Intel PIIX4 datasheet, NMISC): counter 2 gate and
/// speaker data, counter 2 OUT and the refresh toggle readable. Linux calibrates the TSC by polling bit 5.
/// </summary>
public sealed class SystemControlPortB : IPortIoDevice
{
    public const ushort Port = 0x61;
    private const byte Timer2Gate = 0x01; // NMISC bit 0: "Timer Counter 2 Enable"
    private const byte SpeakerData = 0x02; // bit 1: "Speaker Data Enable"
    private const byte WritableBits = 0x0F; // bits 0-3 R/W (bit 2 PCI SERR# enable, bit 3 IOCHK# enable)
    private const byte RefreshToggle = 0x10; // bit 4: "Refresh Cycle Toggle" (RO)
    private const byte Timer2Out = 0x20; // bit 5: "Timer Counter 2 OUT Status" (RO)
    private const int Timer2 = 2;
    /// <summary>DRAM refresh every 15.085 us: PC/AT BIOS programs 8254 counter 1 with 18 (18 / 1.193182 MHz).</summary>
    private const long RefreshPeriodNanoseconds = 15_085;

    private readonly Pit8254 _pit;
    private readonly IVirtualClock _clock;
    private byte _value;

    public SystemControlPortB(Pit8254 pit, IVirtualClock clock)
    {
        _pit = pit;
        _clock = clock;
        _pit.SetGate(Timer2, false);
    }

    /// <summary>Speaker data enable (bit 1), for an audio back end.</summary>
    public bool SpeakerDataEnabled => (_value & SpeakerData) != 0;

    public uint ReadPort(ushort port, int size)
    {
        uint value = _value;
        if ((_clock.NowNanoseconds / RefreshPeriodNanoseconds & 1) != 0) value |= RefreshToggle;
        if (_pit.GetOut(Timer2)) value |= Timer2Out;
        return value;
    }

    public void WritePort(ushort port, int size, uint value)
    {
        _value = (byte)(value & WritableBits);
        _pit.SetGate(Timer2, (_value & Timer2Gate) != 0);
    }
}
