using JitVirt.Machine.Bus;
using JitVirt.Machine.Time;

namespace JitVirt.Machine.Devices.Serial;

// Departures from the PC16550D datasheet: transmission is instantaneous (THR and the shift register
// empty at once, so THRE/TEMT always read 1 and a THRE interrupt re-arms right after each THR write);
// no parity/framing/break errors are ever generated; DMA mode (FCR3) is stored but has no effect.
// IRQ wiring follows the IBM PC, not the datasheet: the INTR pin reaches the IRQ line only while the
// OUT2 pin is active (MCR bit 3 set and not in loopback, where OUT2 is forced inactive).

/// <summary>
/// National Semiconductor PC16550D UART (COM1 is 3F8h/IRQ4). Transmitted bytes go straight to the
/// host sink; host input arrives through <see cref="EnqueueInput"/> on the machine thread.
/// </summary>
public sealed class Uart16550 : IPortIoDevice
{
    public const ushort Com1Base = 0x3F8; // IBM PC/AT Technical Reference, "Serial/Parallel Adapter": COM1 3F8h-3FFh
    public const int Com1Irq = 4;
    private const long InputClockHz = 1_843_200; // PC serial adapters clock the UART at 1.8432 MHz
    private const int ClocksPerBit = 16; // PC16550D 8.2 "Programmable Baud Generator": divisor = XIN / (16 * baud)
    private const int TimeoutCharacterTimes = 4; // PC16550D 8.4: timeout after "4 continuous character times"

    private readonly IInterruptLine _irq;
    private readonly Action<byte> _transmit;
    private readonly IVirtualClock _clock;
    private readonly TimerQueue _timers;
    private readonly DeviceTimer _timeoutTimer;
    private readonly ushort _basePort;
    private bool _irqLevel;

    public Uart16550(IInterruptLine irq, Action<byte> transmit, IVirtualClock clock, TimerQueue timers, ushort basePort = Com1Base)
    {
        _irq = irq;
        _transmit = transmit;
        _clock = clock;
        _timers = timers;
        _basePort = basePort;
        _timeoutTimer = timers.CreateTimer(OnCharacterTimeout);
    }

    public UartState State { get; } = new();

    /// <summary>The chip's INTR pin (before the PC's OUT2 gate).</summary>
    public bool InterruptPending => Identify() != InterruptIdentificationRegister.NoInterruptPending;

    /// <summary>True while the receiver can take another byte without overrun (host-side flow control).</summary>
    public bool CanAcceptInput => State.Receiver.Count < ReceiverCapacity;

    private bool FifoEnabled => (State.FifoControl & FifoControlRegister.FifoEnable) != 0;
    private int ReceiverCapacity => FifoEnabled ? ReceiveFifo.Depth : 1;
    private bool Dlab => (State.LineControl & LineControlRegister.DivisorLatchAccess) != 0;
    private bool Loopback => (State.ModemControl & ModemControlRegister.Loop) != 0;

    /// <summary>A character arrives on SIN. Returns false if it overran the receiver and was lost.</summary>
    public bool EnqueueInput(byte value)
    {
        if (Loopback) return false; // PC16550D 8.7: in loopback the serial input is disconnected
        return Receive(value);
    }

    /// <summary>Host-side modem inputs (CTS, DSR, RI, DCD) given in their MSR bit positions 4-7.</summary>
    public void SetModemInputs(byte msrInputBits)
    {
        byte before = ModemInputs();
        State.ExternalModemInputs = (byte)(msrInputBits & ~ModemStatusRegister.DeltaBits);
        RecordModemDeltas(before, ModemInputs());
        UpdateInterrupt();
    }

    public uint ReadPort(ushort port, int size)
    {
        switch ((port - _basePort) & (UartRegisters.RegisterCount - 1))
        {
            case UartRegisters.ReceiverBufferOrTransmitHolding: return Dlab ? (uint)(State.Divisor & 0xFF) : ReadReceiverBuffer();
            case UartRegisters.InterruptEnable: return Dlab ? (uint)(State.Divisor >> 8) : State.InterruptEnable;
            case UartRegisters.InterruptIdentOrFifoControl: return ReadInterruptIdentification();
            case UartRegisters.LineControl: return State.LineControl;
            case UartRegisters.ModemControl: return State.ModemControl;
            case UartRegisters.LineStatus: return ReadLineStatus();
            case UartRegisters.ModemStatus: return ReadModemStatus();
            default: return State.Scratch;
        }
    }

    public void WritePort(ushort port, int size, uint value)
    {
        byte b = (byte)value;
        switch ((port - _basePort) & (UartRegisters.RegisterCount - 1))
        {
            case UartRegisters.ReceiverBufferOrTransmitHolding:
                if (Dlab) State.Divisor = (ushort)((State.Divisor & 0xFF00) | b); else WriteTransmitHolding(b);
                break;
            case UartRegisters.InterruptEnable:
                if (Dlab) State.Divisor = (ushort)((State.Divisor & 0x00FF) | (b << 8)); else WriteInterruptEnable(b);
                break;
            case UartRegisters.InterruptIdentOrFifoControl: WriteFifoControl(b); break;
            case UartRegisters.LineControl: State.LineControl = b; break;
            case UartRegisters.ModemControl: WriteModemControl(b); break;
            case UartRegisters.LineStatus: break; // PC16550D 8.6: LSR is for read operations only
            case UartRegisters.ModemStatus: break; // read-only status
            default: State.Scratch = b; break;
        }
    }

    private uint ReadReceiverBuffer()
    {
        byte value = State.Receiver.Pop();
        State.CharacterTimeoutPending = false; // PC16550D 8.4: timeout cleared when the CPU reads a character
        RestartTimeout();
        UpdateInterrupt();
        return value;
    }

    private uint ReadInterruptIdentification()
    {
        byte id = Identify();
        if (id == InterruptIdentificationRegister.TransmitterHoldingEmpty)
        {
            // Table IV: THRE interrupt reset by "Reading the IIR Register (if source of interrupt)".
            State.TransmitterEmptyInterruptPending = false;
            UpdateInterrupt();
        }
        return FifoEnabled ? (uint)(id | InterruptIdentificationRegister.FifosEnabled) : id;
    }

    private uint ReadLineStatus()
    {
        byte value = State.LineStatus;
        if (!State.Receiver.IsEmpty) value |= LineStatusRegister.DataReady;
        State.LineStatus &= unchecked((byte)~LineStatusRegister.ErrorBits); // 8.6: OE, PE, FE, BI reset on LSR read
        UpdateInterrupt();
        return value;
    }

    private uint ReadModemStatus()
    {
        byte value = (byte)(State.ModemStatusDeltas | ModemInputs());
        State.ModemStatusDeltas = 0; // 8.8: delta bits reset when the CPU reads the MSR
        UpdateInterrupt();
        return value;
    }

    private void WriteTransmitHolding(byte value)
    {
        State.TransmitterEmptyInterruptPending = false; // Table IV: THRE interrupt reset by writing THR
        UpdateInterrupt();
        if (Loopback) Receive(value); // 8.7: transmitter shift register output loops back to receiver input
        else _transmit(value);
        State.TransmitterEmptyInterruptPending = true; // the holding register is empty again
        UpdateInterrupt();
    }

    private void WriteInterruptEnable(byte value)
    {
        byte previous = State.InterruptEnable;
        State.InterruptEnable = (byte)(value & InterruptEnableRegister.WritableMask);
        bool wasEnabled = (previous & InterruptEnableRegister.TransmitterHoldingEmpty) != 0;
        bool isEnabled = (State.InterruptEnable & InterruptEnableRegister.TransmitterHoldingEmpty) != 0;
        // Enabling ETBEI while THR is empty raises the THRE interrupt immediately (8.5); disabling drops it.
        if (isEnabled && !wasEnabled) State.TransmitterEmptyInterruptPending = true;
        if (!isEnabled) State.TransmitterEmptyInterruptPending = false;
        UpdateInterrupt();
    }

    private void WriteFifoControl(byte value)
    {
        bool enable = (value & FifoControlRegister.FifoEnable) != 0;
        if (enable != FifoEnabled) ClearReceiver(); // 8.4: changing FCR0 clears both FIFOs
        if (!enable)
        {
            State.FifoControl = 0; // 8.4: "FCR0 must be 1 when other FCR bits are written to"
        }
        else
        {
            if ((value & FifoControlRegister.ReceiverFifoReset) != 0) ClearReceiver();
            // TransmitterFifoReset: the transmit FIFO is always empty here.
            State.FifoControl = (byte)(value & ~(FifoControlRegister.ReceiverFifoReset | FifoControlRegister.TransmitterFifoReset));
        }
        UpdateInterrupt();
    }

    private void WriteModemControl(byte value)
    {
        byte before = ModemInputs();
        State.ModemControl = (byte)(value & ModemControlRegister.WritableMask);
        RecordModemDeltas(before, ModemInputs());
        UpdateInterrupt();
    }

    private bool Receive(byte value)
    {
        bool stored = State.Receiver.TryPush(value, ReceiverCapacity);
        if (!stored)
        {
            State.LineStatus |= LineStatusRegister.OverrunError;
            // 8.6: in 16450 mode the unread RBR character is destroyed; in FIFO mode the FIFO is kept.
            if (!FifoEnabled) State.Receiver.ReplaceNewest(value);
        }
        RestartTimeout(); // 8.4: a new character resets the timer but does not clear a pending timeout
        UpdateInterrupt();
        return stored;
    }

    private void ClearReceiver()
    {
        State.Receiver.Clear();
        State.CharacterTimeoutPending = false;
        _timers.Cancel(_timeoutTimer);
    }

    /// <summary>Highest-priority pending source per PC16550D Table IV.</summary>
    private byte Identify()
    {
        byte ier = State.InterruptEnable;
        if ((ier & InterruptEnableRegister.ReceiverLineStatus) != 0 && (State.LineStatus & LineStatusRegister.ErrorBits) != 0)
            return InterruptIdentificationRegister.ReceiverLineStatus;
        if ((ier & InterruptEnableRegister.ReceivedDataAvailable) != 0)
        {
            int trigger = FifoEnabled ? FifoControlRegister.TriggerLevel(State.FifoControl) : 1;
            if (State.Receiver.Count >= trigger) return InterruptIdentificationRegister.ReceivedDataAvailable;
            if (State.CharacterTimeoutPending) return InterruptIdentificationRegister.CharacterTimeout;
        }
        if ((ier & InterruptEnableRegister.TransmitterHoldingEmpty) != 0 && State.TransmitterEmptyInterruptPending)
            return InterruptIdentificationRegister.TransmitterHoldingEmpty;
        if ((ier & InterruptEnableRegister.ModemStatus) != 0 && State.ModemStatusDeltas != 0)
            return InterruptIdentificationRegister.ModemStatus;
        return InterruptIdentificationRegister.NoInterruptPending;
    }

    private void UpdateInterrupt()
    {
        bool out2Active = (State.ModemControl & (ModemControlRegister.Out2 | ModemControlRegister.Loop)) == ModemControlRegister.Out2;
        bool level = out2Active && InterruptPending;
        if (level == _irqLevel) return;
        _irqLevel = level;
        _irq.SetLevel(level);
    }

    /// <summary>MSR bits 4-7: the modem inputs, or in loopback the MCR outputs (8.7: RTS→CTS, DTR→DSR, OUT1→RI, OUT2→DCD).</summary>
    private byte ModemInputs()
    {
        if (!Loopback) return State.ExternalModemInputs;
        byte mcr = State.ModemControl;
        byte inputs = 0;
        if ((mcr & ModemControlRegister.RequestToSend) != 0) inputs |= ModemStatusRegister.ClearToSend;
        if ((mcr & ModemControlRegister.DataTerminalReady) != 0) inputs |= ModemStatusRegister.DataSetReady;
        if ((mcr & ModemControlRegister.Out1) != 0) inputs |= ModemStatusRegister.RingIndicator;
        if ((mcr & ModemControlRegister.Out2) != 0) inputs |= ModemStatusRegister.DataCarrierDetect;
        return inputs;
    }

    private void RecordModemDeltas(byte before, byte after)
    {
        byte changed = (byte)(before ^ after);
        if ((changed & ModemStatusRegister.ClearToSend) != 0) State.ModemStatusDeltas |= ModemStatusRegister.DeltaClearToSend;
        if ((changed & ModemStatusRegister.DataSetReady) != 0) State.ModemStatusDeltas |= ModemStatusRegister.DeltaDataSetReady;
        if ((changed & ModemStatusRegister.DataCarrierDetect) != 0) State.ModemStatusDeltas |= ModemStatusRegister.DeltaDataCarrierDetect;
        // 8.8: TERI is set when RI changes from active to inactive (trailing edge) only.
        if ((before & ~after & ModemStatusRegister.RingIndicator) != 0) State.ModemStatusDeltas |= ModemStatusRegister.TrailingEdgeRingIndicator;
    }

    private void RestartTimeout()
    {
        if (!FifoEnabled || State.Receiver.IsEmpty)
        {
            _timers.Cancel(_timeoutTimer);
            return;
        }
        _timers.Schedule(_timeoutTimer, _clock.NowNanoseconds + TimeoutCharacterTimes * CharacterTimeNanoseconds());
    }

    private void OnCharacterTimeout(long now)
    {
        if (!FifoEnabled || State.Receiver.IsEmpty) return;
        State.CharacterTimeoutPending = true;
        UpdateInterrupt();
    }

    /// <summary>Start bit + data bits + parity + stop bits, at XIN / (16 * divisor) bits per second.</summary>
    private long CharacterTimeNanoseconds()
    {
        byte lcr = State.LineControl;
        int bits = 1 + 5 + (lcr & LineControlRegister.WordLengthMask)
                   + ((lcr & LineControlRegister.ParityEnable) != 0 ? 1 : 0)
                   + ((lcr & LineControlRegister.TwoStopBits) != 0 ? 2 : 1);
        long divisor = State.Divisor == 0 ? 0x10000 : State.Divisor; // a zero divisor acts as 65536
        return bits * divisor * ClocksPerBit * 1_000_000_000L / InputClockHz;
    }
}
