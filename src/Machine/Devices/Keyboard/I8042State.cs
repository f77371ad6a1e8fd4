namespace JitVirt.Machine.Devices.Keyboard;

/// <summary>State of the keyboard controller (snapshot-ready).</summary>
public sealed class I8042State
{
    public byte Status = I8042Commands.StatusNotInhibited;
    public byte CommandByte = I8042Commands.ConfigKeyboardInterrupt | I8042Commands.ConfigTranslate;
    public byte OutputPort = I8042Commands.OutputSystemReset | I8042Commands.OutputA20Gate; // A20 on, reset inactive
    public byte PendingCommand; // command waiting for its data byte on 60h, 0 if none
    /// <summary>Bytes waiting for the output buffer, each with the port it came from.</summary>
    public readonly Queue<I8042OutputByte> Output = new(16);
}

/// <summary>One byte for the output buffer: from the keyboard side (IRQ1) or from the auxiliary device port (IRQ12, status bit 5).</summary>
public readonly record struct I8042OutputByte(byte Value, bool FromAux);
