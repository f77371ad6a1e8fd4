namespace JitVirt.Machine.Devices.Pit;

/// <summary>
/// State of one 8254 counter (snapshot-ready). Counting is not stepped: the counting element is described
/// by the CLK tick at which it was loaded (<see cref="LoadTick"/>) and the value loaded (<see cref="StartValue"/>);
/// the count and OUT at any tick are derived from those.
/// </summary>
public sealed class PitChannelState
{
    public int Mode; // 0-5
    public int Access = PitControlWord.AccessLsbThenMsb;
    public bool Bcd;
    public byte ControlBits; // D5-D0 of the last control word, for read-back status
    public ushort CountRegister; // CR, as written (BCD digits when Bcd)
    public bool CountWritten; // a complete initial count was written after the control word
    public bool WriteMsbNext;
    public bool ReadMsbNext;
    public bool Gate = true;

    public bool Running; // counting element advancing (modes 1/5: triggered)
    public long LoadTick; // CLK at which CE holds StartValue
    public int StartValue; // binary value loaded into CE (0 means the full modulus)
    public int FrozenValue; // CE while not running
    public bool TerminalReached; // modes 0/4: terminal count already passed before a gate pause
    public int PendingReload; // modes 2/3: count written mid-cycle, loaded at the end of the cycle
    public long PendingReloadTick = long.MaxValue;
    public long NullCountUntilTick = long.MaxValue; // Null Count reads 1 for ticks before this

    public bool CountLatched;
    public ushort LatchedCount;
    public bool LatchedMsbNext;
    public bool StatusLatched;
    public byte LatchedStatus;
}
