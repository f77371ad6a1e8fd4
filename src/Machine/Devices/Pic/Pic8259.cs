using static JitVirt.Machine.Devices.Pic.Pic8259Commands;

namespace JitVirt.Machine.Devices.Pic;

// Departures from the Intel 8259A datasheet: only 8086/88 mode (ICW4 uPM) is modelled; buffered mode
// is ignored; ICW1 leaves the ISR untouched (the datasheet lists no effect on it). A request whose input
// goes low before INTA is withdrawn in both trigger modes, which yields the "default IR7" behaviour.

/// <summary>
/// One Intel 8259A programmable interrupt controller: IRR/ISR/IMR, priority resolution with rotation,
/// the INTA sequence, EOI variants, poll and special mask mode. <see cref="Pic8259Pair"/> wires two of
/// them into the PC/AT cascade.
/// </summary>
public sealed class Pic8259
{
    private readonly byte _elcrWritableMask;

    public Pic8259(byte elcrWritableMask) => _elcrWritableMask = elcrWritableMask;

    public Pic8259State State { get; } = new();

    /// <summary>The chip's INT output: an unmasked request outranks everything in service.</summary>
    public bool Interrupt => ResolveRequest() >= 0;

    public void SetInput(int input, bool level)
    {
        byte bit = (byte)(1 << input);
        bool wasHigh = (State.InputLevels & bit) != 0;
        State.InputLevels = level ? (byte)(State.InputLevels | bit) : (byte)(State.InputLevels & ~bit);
        if (!level)
            State.InterruptRequest &= (byte)~bit; // "IR input must remain high until ... the first INTA"
        else if (IsLevelTriggered(bit) || !wasHigh)
            State.InterruptRequest |= bit;
    }

    /// <summary>The INTA sequence: returns the acknowledged input, or <see cref="SpuriousInput"/> with nothing set.</summary>
    public int Acknowledge(out bool spurious)
    {
        int input = ResolveRequest();
        spurious = input < 0;
        if (spurious) return SpuriousInput; // "default IR7": vector for IR7, ISR bit not set
        byte bit = (byte)(1 << input);
        if (!IsLevelTriggered(bit)) State.InterruptRequest &= (byte)~bit; // edge latch consumed
        if (!State.AutoEoi) State.InService |= bit;
        else if (State.RotateOnAutoEoi) State.LowestPriority = (byte)input;
        return input;
    }

    public byte Vector(int input) => (byte)(State.VectorBase | input);

    public byte ReadCommandPort()
    {
        if (State.PollPending) return Poll();
        return State.ReadInService ? State.InService : State.InterruptRequest;
    }

    public byte ReadDataPort() => State.InterruptMask;

    public void WriteCommandPort(byte value)
    {
        if ((value & Icw1Select) != 0) InitializationCommandWord1(value);
        else if ((value & Ocw3Select) != 0) OperationCommandWord3(value);
        else OperationCommandWord2(value);
    }

    public void WriteDataPort(byte value)
    {
        switch (State.ExpectedIcw)
        {
            case 2:
                State.VectorBase = (byte)(value & Icw2VectorMask);
                State.ExpectedIcw = !State.Single ? 3 : State.NeedIcw4 ? 4 : 0;
                break;
            case 3:
                State.Cascade = value;
                State.ExpectedIcw = State.NeedIcw4 ? 4 : 0;
                break;
            case 4:
                State.AutoEoi = (value & Icw4AutoEoi) != 0;
                State.SpecialFullyNested = (value & Icw4SpecialFullyNested) != 0;
                State.ExpectedIcw = 0;
                break;
            default:
                State.InterruptMask = value; // OCW1
                break;
        }
    }

    public void WriteEdgeLevelControl(byte value)
    {
        State.EdgeLevelControl = (byte)(value & _elcrWritableMask);
        byte level = EffectiveLevelMask();
        State.InterruptRequest = (byte)((State.InterruptRequest & ~level) | (State.InputLevels & level));
    }

    /// <summary>Is <paramref name="input"/> a cascade input in a master's ICW3?</summary>
    public bool IsCascadeInput(int input) => !State.Single && (State.Cascade & (1 << input)) != 0;

    private void InitializationCommandWord1(byte value)
    {
        State.NeedIcw4 = (value & Icw1NeedIcw4) != 0;
        State.Single = (value & Icw1Single) != 0;
        State.LevelTriggeredAll = (value & Icw1LevelTriggered) != 0;
        State.ExpectedIcw = 2;
        // Datasheet ICW1 effects a-f.
        State.InterruptRequest &= EffectiveLevelMask(); // a: edge sense reset; edge inputs need a new rising edge
        State.InterruptMask = 0; // b
        State.LowestPriority = 7; // c
        State.Cascade = 7; // d: slave address 7
        State.SpecialMask = false; // e
        State.ReadInService = false; // e: status read set to IRR
        State.PollPending = false;
        if (!State.NeedIcw4) { State.AutoEoi = false; State.SpecialFullyNested = false; } // f
        State.RotateOnAutoEoi = false;
    }

    private void OperationCommandWord2(byte value)
    {
        int level = value & Ocw2LevelMask;
        switch (value & Ocw2CommandMask)
        {
            case Ocw2NonSpecificEoi: ClearHighestInService(); break;
            case Ocw2RotateNonSpecificEoi:
                int cleared = ClearHighestInService();
                if (cleared >= 0) State.LowestPriority = (byte)cleared;
                break;
            case Ocw2SpecificEoi: State.InService &= (byte)~(1 << level); break;
            case Ocw2RotateSpecificEoi:
                State.InService &= (byte)~(1 << level);
                State.LowestPriority = (byte)level;
                break;
            case Ocw2SetPriority: State.LowestPriority = (byte)level; break;
            case Ocw2RotateAutoEoiSet: State.RotateOnAutoEoi = true; break;
            case Ocw2RotateAutoEoiClear: State.RotateOnAutoEoi = false; break;
            default: break; // Ocw2NoOperation
        }
    }

    private void OperationCommandWord3(byte value)
    {
        if ((value & Ocw3EnableSpecialMask) != 0) State.SpecialMask = (value & Ocw3SpecialMask) != 0;
        if ((value & Ocw3Poll) != 0) State.PollPending = true;
        if ((value & Ocw3ReadRegister) != 0) State.ReadInService = (value & Ocw3ReadIsr) != 0;
    }

    /// <summary>"The Poll Command": the read acts as INTA and returns I (bit 7) and W2-W0.</summary>
    private byte Poll()
    {
        State.PollPending = false;
        if (ResolveRequest() < 0) return 0;
        int input = Acknowledge(out _);
        return (byte)(PollInterruptPresent | input);
    }

    /// <summary>The input the priority resolver would present on INT, or -1.</summary>
    private int ResolveRequest()
    {
        int pending = State.InterruptRequest & ~State.InterruptMask;
        if (pending == 0) return -1;
        int request = HighestPriorityInput(pending);
        int blocking = State.InService;
        if (State.SpecialMask) blocking &= ~State.InterruptMask; // "Special Mask Mode": masked levels do not inhibit
        if (State.SpecialFullyNested && IsCascadeInput(request)) blocking &= ~(1 << request); // SFNM: same slave may nest
        int inService = HighestPriorityInput(blocking);
        if (inService >= 0 && PriorityRank(inService) <= PriorityRank(request)) return -1;
        return request;
    }

    private int ClearHighestInService()
    {
        int input = HighestPriorityInput(State.InService);
        if (input >= 0) State.InService &= (byte)~(1 << input);
        return input;
    }

    /// <summary>0 = highest priority; the input after <see cref="Pic8259State.LowestPriority"/> ranks first.</summary>
    private int PriorityRank(int input) => (input - State.LowestPriority - 1) & 7;

    private int HighestPriorityInput(int bits)
    {
        if (bits == 0) return -1;
        for (int rank = 0; rank < 8; rank++)
        {
            int input = (State.LowestPriority + 1 + rank) & 7;
            if ((bits & (1 << input)) != 0) return input;
        }
        return -1;
    }

    private bool IsLevelTriggered(byte bit) => (EffectiveLevelMask() & bit) != 0;

    private byte EffectiveLevelMask() => State.LevelTriggeredAll ? (byte)0xFF : State.EdgeLevelControl;
}
