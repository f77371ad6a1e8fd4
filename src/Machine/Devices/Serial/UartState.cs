namespace JitVirt.Machine.Devices.Serial;

/// <summary>Register-level state of one 16550A (snapshot-ready). Reset values: PC16550D Table III "UART Reset Configuration".</summary>
public sealed class UartState
{
    public ushort Divisor = 12; // undefined at master reset; 12 = 9600 baud from 1.8432 MHz, what PC BIOSes leave
    public byte InterruptEnable;
    public byte FifoControl;
    public byte LineControl;
    public byte ModemControl;
    public byte LineStatus = LineStatusRegister.TransmitterHoldingEmpty | LineStatusRegister.TransmitterEmpty;
    public byte ModemStatusDeltas;
    /// <summary>Modem inputs (CTS/DSR/RI/DCD in MSR bit positions 4-7) as driven by the host side.</summary>
    public byte ExternalModemInputs = ModemStatusRegister.ClearToSend | ModemStatusRegister.DataSetReady | ModemStatusRegister.DataCarrierDetect;
    public byte Scratch;
    public bool TransmitterEmptyInterruptPending;
    public bool CharacterTimeoutPending;
    public readonly ReceiveFifo Receiver = new();
}
