namespace JitVirt.Machine.Devices.Serial;

/// <summary>Register offsets and bit assignments of the PC16550D ("PC16550D UART with FIFOs", Table II, "Summary of Registers").</summary>
internal static class UartRegisters
{
    // Register addresses A2..A0 (Table II). DLAB = LCR bit 7 selects DLL/DLM at offsets 0/1.
    public const int ReceiverBufferOrTransmitHolding = 0; // RBR (read) / THR (write) / DLL (DLAB=1)
    public const int InterruptEnable = 1;                 // IER / DLM (DLAB=1)
    public const int InterruptIdentOrFifoControl = 2;     // IIR (read) / FCR (write)
    public const int LineControl = 3;
    public const int ModemControl = 4;
    public const int LineStatus = 5;
    public const int ModemStatus = 6;
    public const int Scratch = 7;
    public const int RegisterCount = 8;
}

/// <summary>IER bits (PC16550D, section 8.5 "Interrupt Enable Register").</summary>
internal static class InterruptEnableRegister
{
    public const byte ReceivedDataAvailable = 0x01; // ERBFI
    public const byte TransmitterHoldingEmpty = 0x02; // ETBEI
    public const byte ReceiverLineStatus = 0x04; // ELSI
    public const byte ModemStatus = 0x08; // EDSSI
    public const byte WritableMask = 0x0F; // bits 4-7 are always logic 0
}

/// <summary>IIR values (PC16550D, Table IV "Interrupt Control Functions").</summary>
internal static class InterruptIdentificationRegister
{
    public const byte NoInterruptPending = 0x01; // bit 0 = 1: no interrupt pending
    public const byte ReceiverLineStatus = 0x06; // priority 1
    public const byte ReceivedDataAvailable = 0x04; // priority 2
    public const byte CharacterTimeout = 0x0C; // priority 2 (FIFO mode only)
    public const byte TransmitterHoldingEmpty = 0x02; // priority 3
    public const byte ModemStatus = 0x00; // priority 4
    public const byte FifosEnabled = 0xC0; // bits 6-7 set when FCR0 = 1
}

/// <summary>FCR bits (PC16550D, section 8.4 "FIFO Control Register").</summary>
internal static class FifoControlRegister
{
    public const byte FifoEnable = 0x01;
    public const byte ReceiverFifoReset = 0x02;
    public const byte TransmitterFifoReset = 0x04;
    public const byte DmaModeSelect = 0x08;
    public const int TriggerShift = 6; // bits 6-7: RCVR trigger level 1, 4, 8, 14 bytes

    public static int TriggerLevel(byte fcr) => (fcr >> TriggerShift) switch { 0 => 1, 1 => 4, 2 => 8, _ => 14 };
}

/// <summary>LCR bits (PC16550D, section 8.1 "Line Control Register").</summary>
internal static class LineControlRegister
{
    public const byte WordLengthMask = 0x03; // WLS1..0: 5 + value data bits
    public const byte TwoStopBits = 0x04; // STB (1.5 stop bits for 5-bit words; counted as 2 here)
    public const byte ParityEnable = 0x08; // PEN
    public const byte DivisorLatchAccess = 0x80; // DLAB
}

/// <summary>MCR bits (PC16550D, section 8.7 "Modem Control Register").</summary>
internal static class ModemControlRegister
{
    public const byte DataTerminalReady = 0x01;
    public const byte RequestToSend = 0x02;
    public const byte Out1 = 0x04;
    public const byte Out2 = 0x08;
    public const byte Loop = 0x10;
    public const byte WritableMask = 0x1F; // bits 5-7 are permanently 0
}

/// <summary>LSR bits (PC16550D, section 8.6 "Line Status Register").</summary>
public static class LineStatusRegister
{
    public const byte DataReady = 0x01; // DR
    public const byte OverrunError = 0x02; // OE
    public const byte ParityError = 0x04; // PE
    public const byte FramingError = 0x08; // FE
    public const byte BreakInterrupt = 0x10; // BI
    public const byte TransmitterHoldingEmpty = 0x20; // THRE
    public const byte TransmitterEmpty = 0x40; // TEMT
    public const byte ErrorInReceiverFifo = 0x80;
    public const byte ErrorBits = OverrunError | ParityError | FramingError | BreakInterrupt; // cleared by reading LSR
}

/// <summary>MSR bits (PC16550D, section 8.8 "Modem Status Register").</summary>
public static class ModemStatusRegister
{
    public const byte DeltaClearToSend = 0x01; // DCTS
    public const byte DeltaDataSetReady = 0x02; // DDSR
    public const byte TrailingEdgeRingIndicator = 0x04; // TERI
    public const byte DeltaDataCarrierDetect = 0x08; // DDCD
    public const byte ClearToSend = 0x10;
    public const byte DataSetReady = 0x20;
    public const byte RingIndicator = 0x40;
    public const byte DataCarrierDetect = 0x80;
    public const byte DeltaBits = 0x0F;
}
