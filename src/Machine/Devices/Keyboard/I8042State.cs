namespace JitVirt.Machine.Devices.Keyboard;

/// <summary>State of the keyboard controller (snapshot-ready).</summary>
public sealed class I8042State
{
    public byte Status = I8042Commands.StatusNotInhibited;
    public byte CommandByte = I8042Commands.ConfigKeyboardInterrupt | I8042Commands.ConfigTranslate;
    public byte OutputPort = I8042Commands.OutputSystemReset | I8042Commands.OutputA20Gate; // A20 on, reset inactive
    public byte PendingCommand; // command waiting for its data byte on 60h, 0 if none
    public readonly Queue<byte> Output = new(16);
}
