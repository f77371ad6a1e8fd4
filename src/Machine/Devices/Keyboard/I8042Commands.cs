namespace JitVirt.Machine.Devices.Keyboard;

/// <summary>
/// Controller commands, status and configuration bits of the 8042 keyboard controller (IBM PC/AT
/// Technical Reference, "Keyboard Controller": status register, command byte, "Commands (I/O Address 64h)").
/// </summary>
internal static class I8042Commands
{
    public const byte ReadCommandByte = 0x20;
    public const byte WriteCommandByte = 0x60;
    public const byte DisableAuxInterface = 0xA7;
    public const byte EnableAuxInterface = 0xA8;
    public const byte AuxInterfaceTest = 0xA9;
    public const byte SelfTest = 0xAA;
    public const byte KeyboardInterfaceTest = 0xAB;
    public const byte DisableKeyboardInterface = 0xAD;
    public const byte EnableKeyboardInterface = 0xAE;
    public const byte ReadInputPort = 0xC0;
    public const byte ReadOutputPort = 0xD0;
    public const byte WriteOutputPort = 0xD1;
    public const byte WriteKeyboardOutputBuffer = 0xD2;
    public const byte WriteAuxOutputBuffer = 0xD3;
    public const byte WriteToAux = 0xD4;
    public const byte PulseOutputPortFirst = 0xF0; // F0h-FFh: pulse output port bits 0-3 low for 6 us (0 in bits 0-3 = pulse)

    public const byte SelfTestPassed = 0x55;
    public const byte InterfaceTestPassed = 0x00;
    public const byte AuxInterfaceTestPassed = 0x00; // AUX interface test (A9h): 00h = no error on the clock and data lines

    // Status register (read 64h).
    public const byte StatusOutputFull = 0x01; // OBF
    public const byte StatusInputFull = 0x02; // IBF
    public const byte StatusSystemFlag = 0x04; // SYS
    public const byte StatusCommand = 0x08; // A2: last write was to 64h
    public const byte StatusNotInhibited = 0x10; // keyboard inhibit switch: 1 = not inhibited
    public const byte StatusAuxOutputFull = 0x20;

    // Command byte.
    public const byte ConfigKeyboardInterrupt = 0x01;
    public const byte ConfigAuxInterrupt = 0x02;
    public const byte ConfigSystemFlag = 0x04;
    public const byte ConfigDisableKeyboard = 0x10;
    public const byte ConfigDisableAux = 0x20;
    public const byte ConfigTranslate = 0x40;

    // Output port (commands D0h/D1h).
    public const byte OutputSystemReset = 0x01; // 0 = CPU reset asserted
    public const byte OutputA20Gate = 0x02;

    // Keyboard (device) protocol, IBM PC/AT Technical Reference "Keyboard Commands from the System".
    public const byte KeyboardAcknowledge = 0xFA;
    public const byte KeyboardEcho = 0xEE;
    public const byte KeyboardReset = 0xFF;
    public const byte KeyboardReadId = 0xF2;
    public const byte KeyboardBatPassed = 0xAA;
    public const byte KeyboardIdFirst = 0xAB; // MF2 keyboard ID AB 83h
    public const byte KeyboardIdSecond = 0x83;
}
