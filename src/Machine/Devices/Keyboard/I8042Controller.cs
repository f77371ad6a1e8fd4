using JitVirt.Machine.Bus;
using static JitVirt.Machine.Devices.Keyboard.I8042Commands;

namespace JitVirt.Machine.Devices.Keyboard;

// Departures: the auxiliary (PS/2 mouse) port exists, as on every PS/2-class 8042 (interface test, enable
// and disable, loop-back D3h with status bit 5 and IRQ12), but no mouse is plugged into it: bytes written
// to the device (D4h) are dropped. The keyboard is a stub that acknowledges every command (reset answers
// AAh, read ID answers ABh 83h, echo EEh) and never produces scan codes; data bytes transfer instantly
// (IBF never reads 1).

/// <summary>
/// Intel 8042 keyboard controller at 60h (data) / 64h (status, command), enough for firmware and Linux
/// probing, with the CPU reset line (output port bit 0, pulse command FEh) and A20 gate (output port bit 1).
/// </summary>
/// <param name="auxIrq">IRQ12, raised for bytes from the auxiliary port; null leaves the port without an interrupt.</param>
public sealed class I8042Controller(IInterruptLine keyboardIrq, Action resetRequested, Action<bool> a20Changed, IInterruptLine? auxIrq = null) : IPortIoDevice
{
    public const ushort DataPort = 0x60; // IBM PC/AT Technical Reference, I/O address map: 8042 060h-06Fh
    public const ushort CommandPort = 0x64;
    public const int Irq = 1;
    public const int AuxIrq = 12; // IBM PS/2 Technical Reference: the auxiliary device interrupts on IRQ 12
    private const byte ResetPulseMask = 0x01; // Fxh pulses output bits whose command bit is 0; bit 0 is RESET

    private bool _irqLevel, _auxIrqLevel;

    public I8042State State { get; } = new();

    public uint ReadPort(ushort port, int size) => port == CommandPort ? State.Status : ReadData();

    public void WritePort(ushort port, int size, uint value)
    {
        byte b = (byte)value;
        if (port == CommandPort) WriteCommand(b);
        else WriteData(b);
        UpdateIrq();
    }

    private uint ReadData()
    {
        if (State.Output.Count == 0) return 0; // an empty output buffer keeps its last value; 0 is as good
        byte value = State.Output.Dequeue().Value;
        if (State.Output.Count == 0) State.Status &= unchecked((byte)~(StatusOutputFull | StatusAuxOutputFull));
        else
        {
            SetAuxStatus(State.Output.Peek().FromAux);
            DropIrqBetweenBytes();
        }
        UpdateIrq();
        return value;
    }

    private void WriteCommand(byte command)
    {
        State.Status |= StatusCommand;
        State.PendingCommand = 0;
        switch (command)
        {
            case ReadCommandByte: Reply(State.CommandByte); break;
            case WriteCommandByte:
            case WriteOutputPort:
            case WriteKeyboardOutputBuffer:
            case WriteAuxOutputBuffer:
            case WriteToAux:
                State.PendingCommand = command;
                break;
            case DisableAuxInterface: State.CommandByte |= ConfigDisableAux; break;
            case EnableAuxInterface: State.CommandByte &= unchecked((byte)~ConfigDisableAux); break;
            case AuxInterfaceTest: Reply(AuxInterfaceTestPassed); break;
            case SelfTest:
                State.Status |= StatusSystemFlag;
                Reply(SelfTestPassed);
                break;
            case KeyboardInterfaceTest: Reply(InterfaceTestPassed); break;
            case DisableKeyboardInterface: State.CommandByte |= ConfigDisableKeyboard; break;
            case EnableKeyboardInterface: State.CommandByte &= unchecked((byte)~ConfigDisableKeyboard); break;
            case ReadInputPort: Reply(0x80); break; // input port bit 7: keyboard not inhibited
            case ReadOutputPort: Reply(State.OutputPort); break;
            default:
                if (command >= PulseOutputPortFirst && (command & ResetPulseMask) == 0) resetRequested();
                break;
        }
    }

    private void WriteData(byte value)
    {
        State.Status &= unchecked((byte)~StatusCommand);
        byte pending = State.PendingCommand;
        State.PendingCommand = 0;
        switch (pending)
        {
            case WriteCommandByte: WriteConfiguration(value); break;
            case WriteOutputPort: WriteOutput(value); break;
            case WriteKeyboardOutputBuffer: Reply(value); break;
            case WriteAuxOutputBuffer: Reply(value, fromAux: true); break; // as if the mouse had sent it
            case WriteToAux: break; // no mouse is plugged in to answer
            default: SendToKeyboard(value); break;
        }
    }

    private void WriteConfiguration(byte value)
    {
        State.CommandByte = value;
        // Command byte bit 2 is copied to the status register's system flag.
        State.Status = (byte)((State.Status & ~StatusSystemFlag) | (value & ConfigSystemFlag));
    }

    private void WriteOutput(byte value)
    {
        byte previous = State.OutputPort;
        State.OutputPort = value;
        if (((previous ^ value) & OutputA20Gate) != 0) a20Changed((value & OutputA20Gate) != 0);
        if ((value & OutputSystemReset) == 0) resetRequested(); // RESET is active low
    }

    private void SendToKeyboard(byte command)
    {
        switch (command)
        {
            case KeyboardEcho: Reply(KeyboardEcho); break;
            case KeyboardReset: Reply(KeyboardAcknowledge); Reply(KeyboardBatPassed); break;
            case KeyboardReadId: Reply(KeyboardAcknowledge); Reply(KeyboardIdFirst); Reply(KeyboardIdSecond); break;
            default: Reply(KeyboardAcknowledge); break;
        }
    }

    private void Reply(byte value, bool fromAux = false)
    {
        if (State.Output.Count == 0) SetAuxStatus(fromAux);
        State.Output.Enqueue(new I8042OutputByte(value, fromAux));
        State.Status |= StatusOutputFull;
    }

    /// <summary>Status bit 5 says the byte in the output buffer came from the auxiliary device (IBM PS/2 Technical Reference).</summary>
    private void SetAuxStatus(bool fromAux) =>
        State.Status = (byte)(fromAux ? State.Status | StatusAuxOutputFull : State.Status & ~StatusAuxOutputFull);

    /// <summary>
    /// The 8042's output buffer holds one byte: reading it clears OBF and IRQ1 falls, and the next byte from
    /// the keyboard sets OBF and raises IRQ1 again (IBM PC/AT Technical Reference, keyboard controller). The
    /// ISA line is edge-triggered at the 8259, so a multi-byte answer (ACK, then AB 83h for READ ID) must
    /// give one rising edge per byte; a level held high across the bytes is seen once, and Linux's atkbd
    /// then times out waiting for the ID and registers no keyboard.
    /// </summary>
    private void DropIrqBetweenBytes()
    {
        if (_irqLevel) { _irqLevel = false; keyboardIrq.SetLevel(false); }
        if (_auxIrqLevel) { _auxIrqLevel = false; auxIrq?.SetLevel(false); }
    }

    /// <summary>
    /// A full output buffer interrupts on IRQ1 when the byte is the keyboard's and command byte bit 0 is set,
    /// on IRQ12 when it is the auxiliary device's and bit 1 is set.
    /// </summary>
    private void UpdateIrq()
    {
        bool full = (State.Status & StatusOutputFull) != 0, fromAux = (State.Status & StatusAuxOutputFull) != 0;
        bool keyboard = full && !fromAux && (State.CommandByte & ConfigKeyboardInterrupt) != 0;
        bool aux = full && fromAux && (State.CommandByte & ConfigAuxInterrupt) != 0;
        if (keyboard != _irqLevel) { _irqLevel = keyboard; keyboardIrq.SetLevel(keyboard); }
        if (aux != _auxIrqLevel) { _auxIrqLevel = aux; auxIrq?.SetLevel(aux); }
    }
}
