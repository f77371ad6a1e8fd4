using JitVirt.Machine.Bus;
using JitVirt.Machine.Time;

namespace JitVirt.Machine.Devices.Acpi;

/// <summary>
/// ACPI fixed hardware: PM1a event block, PM1a control block and the PM timer (ACPI 6.x §4.8),
/// at <see cref="AcpiPmRegisters.DefaultBase"/>. Writing SLP_EN with SLP_TYP = S5 calls
/// <see cref="PowerOff"/>. Departures: TMR_STS is derived lazily from the clock when PM1_STS is read,
/// so the timer-carry SCI is not raised on its own; only soft-off is implemented, other sleep
/// types are ignored; PM1_EVT/PM1_CNT accept only accesses that do not cross a register.
/// </summary>
public sealed class AcpiPmDevice : IPortIoDevice
{
    private const long NanosecondsPerSecond = 1_000_000_000;

    private readonly IVirtualClock _clock;
    private readonly IInterruptLine? _sci;

    public AcpiPmDevice(IVirtualClock clock, IInterruptLine? sci = null, ushort basePort = AcpiPmRegisters.DefaultBase)
    {
        _clock = clock;
        _sci = sci;
        BasePort = basePort;
    }

    public ushort BasePort { get; }

    public AcpiPmState State { get; } = new();

    /// <summary>Raised when the guest requests soft-off (S5).</summary>
    public Action? PowerOff { get; set; }

    /// <summary>PM timer value: 3.579545 MHz ticks since reset, 24 bits (ACPI 6.x §4.8.3.3).</summary>
    public uint ReadTimer() => (uint)(TimerTicks() & AcpiPmRegisters.TimerMask);

    /// <summary>Host-side power button press: sets PWRBTN_STS and raises the SCI if enabled (ACPI 6.x §4.8.4.1.1).</summary>
    public void PressPowerButton()
    {
        State.Status |= AcpiPmRegisters.PowerButtonStatus;
        UpdateSci();
    }

    public uint ReadPort(ushort port, int size)
    {
        int offset = port - BasePort;
        uint value = offset switch
        {
            >= AcpiPmRegisters.TimerBlockOffset and < AcpiPmRegisters.BlockLength => ReadTimer() >> ((offset - AcpiPmRegisters.TimerBlockOffset) * 8),
            >= AcpiPmRegisters.ControlBlockOffset and < AcpiPmRegisters.TimerBlockOffset => ReadControl() >> ((offset - AcpiPmRegisters.ControlBlockOffset) * 8),
            >= 2 and < AcpiPmRegisters.ControlBlockOffset => (uint)State.Enable >> ((offset - 2) * 8),
            >= 0 and < 2 => ReadStatusAndEnable() >> (offset * 8),
            _ => 0xFFFF_FFFF,
        };
        return size >= 4 ? value : value & ((1u << (size * 8)) - 1);
    }

    public void WritePort(ushort port, int size, uint value)
    {
        int offset = port - BasePort;
        switch (offset)
        {
            case AcpiPmRegisters.EventBlockOffset:
                WriteStatus((ushort)value);
                if (size == 4) WriteEnable((ushort)(value >> 16));
                break;
            case AcpiPmRegisters.EventBlockOffset + 2:
                WriteEnable((ushort)value);
                break;
            case AcpiPmRegisters.ControlBlockOffset:
                WriteControl((ushort)value);
                break;
        }
    }

    private long TimerTicks() => (long)((Int128)_clock.NowNanoseconds * AcpiPmRegisters.TimerFrequencyHz / NanosecondsPerSecond);

    private uint ReadStatusAndEnable()
    {
        RefreshTimerStatus();
        return State.Status | ((uint)State.Enable << 16);
    }

    private uint ReadControl() => (uint)(State.Control & ~AcpiPmRegisters.SleepEnable);

    /// <summary>TMR_STS latches once bit 23 has toggled since the last acknowledge (ACPI 6.x §4.8.3.3).</summary>
    private void RefreshTimerStatus()
    {
        long epochs = TimerTicks() >> AcpiPmRegisters.TimerStatusBit;
        if (epochs != State.TimerEpochsAcknowledged) State.Status |= AcpiPmRegisters.TimerStatus;
    }

    /// <summary>PM1_STS bits are write-one-to-clear (ACPI 6.x §4.8.4.1.1).</summary>
    private void WriteStatus(ushort value)
    {
        ushort clear = (ushort)(value & AcpiPmRegisters.StatusImplemented);
        if ((clear & AcpiPmRegisters.TimerStatus) != 0) State.TimerEpochsAcknowledged = TimerTicks() >> AcpiPmRegisters.TimerStatusBit;
        State.Status &= (ushort)~clear;
        UpdateSci();
    }

    private void WriteEnable(ushort value)
    {
        State.Enable = (ushort)(value & AcpiPmRegisters.EnableImplemented);
        UpdateSci();
    }

    /// <summary>SLP_EN with SLP_TYP = S5 enters soft-off (ACPI 6.x §4.8.4.2.1, §16.1.6).</summary>
    private void WriteControl(ushort value)
    {
        const ushort writable = AcpiPmRegisters.SciEnable | AcpiPmRegisters.BusMasterReload | AcpiPmRegisters.SleepTypeMask;
        State.Control = (ushort)((State.Control & ~writable) | (value & writable));
        if ((value & AcpiPmRegisters.SleepEnable) == 0) return;
        int sleepType = (value & AcpiPmRegisters.SleepTypeMask) >> AcpiPmRegisters.SleepTypeShift;
        if (sleepType == AcpiSleepType.S5) PowerOff?.Invoke();
    }

    /// <summary>The SCI is a level: asserted while an enabled status bit is set and SCI_EN is set (ACPI 6.x §4.8.2.5).</summary>
    private void UpdateSci()
    {
        bool sciEnabled = (State.Control & AcpiPmRegisters.SciEnable) != 0;
        _sci?.SetLevel(sciEnabled && (State.Status & State.Enable) != 0);
    }
}
