using static JitVirt.Machine.Devices.Pit.PitControlWord;

namespace JitVirt.Machine.Devices.Pit;

// Departures from the Intel 8254 datasheet: a count written during mode 3 counting takes effect at the
// end of the current full cycle rather than the current half-cycle; counts below 2 in modes 2 and 3
// (illegal per the datasheet) behave as 2. Modes 6 and 7 alias modes 2 and 3 as the datasheet specifies.

/// <summary>
/// One 8254 counter: CR/CE/OL, the six modes, access modes, BCD, latches and null count, evaluated at
/// a CLK tick number instead of being stepped every clock.
/// </summary>
public sealed class PitChannel
{
    private const int BinaryModulus = 0x10000; // 16-bit binary counter
    private const int BcdModulus = 10000; // 4-decade BCD counter

    public PitChannelState State { get; } = new();

    private int Modulus => State.Bcd ? BcdModulus : BinaryModulus;

    /// <summary>Initial count N as a number of clocks (0 stands for the modulus: 65536 binary, 10000 BCD).</summary>
    private int InitialCount
    {
        get
        {
            int value = State.Bcd ? FromBcd(State.CountRegister) : State.CountRegister;
            return value == 0 ? Modulus : value;
        }
    }

    public void WriteControlWord(byte controlWord, long tick)
    {
        State.FrozenValue = CountAt(tick); // CE keeps its value until a new count is loaded
        int mode = (controlWord >> ModeShift) & ModeMask;
        State.Mode = mode > 5 ? mode - 4 : mode; // "X10" = mode 2, "X11" = mode 3
        State.Access = (controlWord >> AccessShift) & AccessMask;
        State.Bcd = (controlWord & Bcd) != 0;
        State.ControlBits = (byte)(controlWord & StatusControlBits);
        // "When a control word is written to a Counter, all Control Logic is immediately reset and OUT goes to a known initial state."
        State.CountWritten = false;
        State.Running = false;
        State.TerminalReached = false;
        State.WriteMsbNext = false;
        State.ReadMsbNext = false;
        State.CountLatched = false;
        State.StatusLatched = false;
        State.PendingReloadTick = long.MaxValue;
        State.NullCountUntilTick = long.MaxValue; // "Null Count is set when a Control Word is written"
    }

    public void WriteCount(byte value, long tick)
    {
        switch (State.Access)
        {
            case AccessLsb: State.CountRegister = value; break;
            case AccessMsb: State.CountRegister = (ushort)(value << 8); break;
            default:
                if (!State.WriteMsbNext)
                {
                    State.CountRegister = (ushort)((State.CountRegister & 0xFF00) | value);
                    State.WriteMsbNext = true;
                    // Mode 0: "writing the first byte disables counting. OUT is set low immediately".
                    if (State.Mode == 0) StopForRewrite(tick);
                    return;
                }
                State.CountRegister = (ushort)((State.CountRegister & 0x00FF) | (value << 8));
                State.WriteMsbNext = false;
                break;
        }
        LoadCount(tick);
    }

    public void SetGate(bool level, long tick)
    {
        Promote(tick);
        bool rising = level && !State.Gate;
        bool falling = !level && State.Gate;
        State.Gate = level;
        if (rising) OnGateRising(tick);
        else if (falling) OnGateFalling(tick);
    }

    public void LatchCount(long tick)
    {
        // "If a Counter is latched and then, some time later, latched again before the count is read, the second ... is ignored."
        if (State.CountLatched) return;
        State.LatchedCount = EncodedCountAt(tick);
        State.CountLatched = true;
        State.LatchedMsbNext = false;
    }

    public void LatchStatus(long tick)
    {
        if (State.StatusLatched) return;
        byte status = State.ControlBits;
        if (OutAt(tick)) status |= StatusOutput;
        if (tick < State.NullCountUntilTick) status |= StatusNullCount;
        State.LatchedStatus = status;
        State.StatusLatched = true;
    }

    public byte Read(long tick)
    {
        if (State.StatusLatched)
        {
            State.StatusLatched = false; // status first when both are latched ("Read-Back Command")
            return State.LatchedStatus;
        }
        if (State.CountLatched) return ReadLatchedCount();
        ushort count = EncodedCountAt(tick);
        return State.Access switch
        {
            AccessLsb => (byte)count,
            AccessMsb => (byte)(count >> 8),
            _ => ReadToggled(count),
        };
    }

    /// <summary>The OUT pin at CLK <paramref name="tick"/>.</summary>
    public bool OutAt(long tick)
    {
        Promote(tick);
        long k = tick - State.LoadTick;
        switch (State.Mode)
        {
            case 0:
                if (!State.CountWritten) return false; // mode 0: OUT low after the control word
                if (State.TerminalReached) return true;
                return State.Running && k >= Effective(State.StartValue);
            case 1:
                if (!State.Running || k < 0) return true;
                return k >= Effective(State.StartValue);
            case 2:
                if (!State.Running || k < 0) return true;
                int period = PeriodicCount(State.StartValue);
                return k % period != period - 1; // low while CE = 1
            case 3:
                if (!State.Running || k < 0) return true;
                int n = PeriodicCount(State.StartValue);
                return k % n < (n + 1) / 2; // high (N+1)/2 clocks, low N/2 clocks
            default: // modes 4 and 5: one-clock low strobe when CE reaches zero
                if (!State.Running || State.TerminalReached || k < 0) return true;
                return k != Effective(State.StartValue);
        }
    }

    /// <summary>
    /// The next OUT change after <paramref name="tick"/> that a timer must deliver, or long.MaxValue.
    /// One-clock low pulses (modes 2, 4, 5) are reported as their rising edge only.
    /// </summary>
    public long NextOutEvent(long tick, out bool rising)
    {
        Promote(tick);
        rising = true;
        if (!State.Running) return long.MaxValue;
        long load = State.LoadTick;
        switch (State.Mode)
        {
            case 0:
                long terminal = load + Effective(State.StartValue);
                return State.TerminalReached || terminal <= tick ? long.MaxValue : terminal;
            case 1:
                if (load > tick) { rising = false; return load; } // OUT goes low on the CLK after the trigger
                long end = load + Effective(State.StartValue);
                return end > tick ? end : long.MaxValue;
            case 2:
                int period = PeriodicCount(State.StartValue);
                return tick < load ? load + period : load + period * ((tick - load) / period + 1);
            case 3:
                return NextSquareWaveEdge(tick, out rising);
            default:
                long strobeEnd = load + Effective(State.StartValue) + 1;
                return State.TerminalReached || strobeEnd <= tick ? long.MaxValue : strobeEnd;
        }
    }

    private long NextSquareWaveEdge(long tick, out bool rising)
    {
        int n = PeriodicCount(State.StartValue);
        int high = (n + 1) / 2;
        long load = State.LoadTick;
        rising = false;
        if (tick < load) return load + high;
        long position = (tick - load) % n;
        long cycleStart = tick - position;
        if (position < high) return cycleStart + high;
        rising = true;
        return cycleStart + n;
    }

    private void LoadCount(long tick)
    {
        State.CountWritten = true;
        int n = InitialCount;
        switch (State.Mode)
        {
            case 0:
            case 4:
                // "After a Count is written, it is loaded into CE on the next CLK pulse"; new counts restart.
                StartCounting(n % Modulus, tick + 1);
                State.Running = State.Gate;
                State.NullCountUntilTick = tick + 1;
                break;
            case 1:
            case 5:
                State.NullCountUntilTick = long.MaxValue; // loaded only by a gate trigger
                break;
            default:
                if (State.Running && tick >= State.LoadTick)
                {
                    // Modes 2/3: a new count does not disturb the current cycle; loaded at its end.
                    int period = PeriodicCount(State.StartValue);
                    State.PendingReload = n;
                    State.PendingReloadTick = State.LoadTick + period * ((tick - State.LoadTick) / period + 1);
                    State.NullCountUntilTick = State.PendingReloadTick;
                }
                else
                {
                    StartCounting(n, tick + 1);
                    State.Running = State.Gate;
                    State.NullCountUntilTick = tick + 1;
                }
                break;
        }
    }

    private void StartCounting(int startValue, long loadTick)
    {
        State.StartValue = startValue;
        State.LoadTick = loadTick;
        State.FrozenValue = startValue % Modulus;
        State.TerminalReached = false;
        State.PendingReloadTick = long.MaxValue;
    }

    private void StopForRewrite(long tick)
    {
        State.FrozenValue = CountAt(tick);
        State.Running = false;
        State.CountWritten = false;
        State.TerminalReached = false;
    }

    private void OnGateRising(long tick)
    {
        if (!State.CountWritten) return;
        switch (State.Mode)
        {
            case 0:
            case 4:
                // Gate 1 enables counting again from where it stopped.
                if (tick >= State.LoadTick) { State.StartValue = State.FrozenValue; State.LoadTick = tick; }
                State.Running = true;
                break;
            case 1:
            case 5:
                // Trigger: CR loaded into CE on the next CLK pulse (retriggerable).
                StartCounting(InitialCount % Modulus, tick + 1);
                State.Running = true;
                State.NullCountUntilTick = tick + 1;
                break;
            default:
                // Modes 2/3: a gate rising edge reloads the counter on the next CLK pulse.
                StartCounting(InitialCount, tick + 1);
                State.Running = true;
                State.NullCountUntilTick = Math.Min(State.NullCountUntilTick, tick + 1);
                break;
        }
    }

    private void OnGateFalling(long tick)
    {
        if (!State.Running) return;
        switch (State.Mode)
        {
            case 0:
            case 4:
                // Gate 0 suspends counting; OUT is unaffected.
                long k = tick - State.LoadTick;
                State.TerminalReached |= k >= Effective(State.StartValue);
                State.FrozenValue = CountAt(tick);
                State.Running = false;
                break;
            case 2:
            case 3:
                // Gate 0 stops counting and sets OUT high immediately.
                State.FrozenValue = CountAt(tick);
                State.Running = false;
                break;
            default:
                break; // modes 1/5: the gate is edge-sensitive only
        }
    }

    /// <summary>Loads a count written mid-cycle in modes 2/3 once its cycle boundary has passed.</summary>
    private void Promote(long tick)
    {
        if (tick < State.PendingReloadTick) return;
        State.LoadTick = State.PendingReloadTick;
        State.StartValue = State.PendingReload;
        State.PendingReloadTick = long.MaxValue;
    }

    /// <summary>Binary value of CE at <paramref name="tick"/> (0..modulus-1).</summary>
    private int CountAt(long tick)
    {
        Promote(tick);
        long k = tick - State.LoadTick;
        if (!State.Running || k < 0) return State.FrozenValue;
        int modulus = Modulus;
        switch (State.Mode)
        {
            case 2:
                int period = PeriodicCount(State.StartValue);
                return (int)((period - k % period) % modulus);
            case 3:
                return SquareWaveCount(k) % modulus;
            default:
                long value = (State.StartValue - k) % modulus; // keeps decrementing (wrapping) past terminal count
                return (int)(value < 0 ? value + modulus : value);
        }
    }

    /// <summary>Mode 3: CE starts at N (even) or N-1 (odd) in each half-cycle and drops by two per CLK.</summary>
    private int SquareWaveCount(long k)
    {
        int n = PeriodicCount(State.StartValue);
        int high = (n + 1) / 2;
        long position = k % n;
        long step = position < high ? position : position - high;
        int start = (n & 1) == 0 ? n : n - 1;
        return (int)(start - 2 * step);
    }

    private ushort EncodedCountAt(long tick)
    {
        int value = CountAt(tick);
        return State.Bcd ? ToBcd(value) : (ushort)value;
    }

    private byte ReadLatchedCount()
    {
        ushort latched = State.LatchedCount;
        switch (State.Access)
        {
            case AccessLsb: State.CountLatched = false; return (byte)latched;
            case AccessMsb: State.CountLatched = false; return (byte)(latched >> 8);
            default:
                if (!State.LatchedMsbNext) { State.LatchedMsbNext = true; return (byte)latched; }
                State.CountLatched = false; // the latch is released once fully read
                State.LatchedMsbNext = false;
                return (byte)(latched >> 8);
        }
    }

    private byte ReadToggled(ushort count)
    {
        bool msb = State.ReadMsbNext;
        State.ReadMsbNext = !msb;
        return msb ? (byte)(count >> 8) : (byte)count;
    }

    private int Effective(int value) => value == 0 ? Modulus : value;

    private int PeriodicCount(int value) => Math.Max(Effective(value), 2);

    private static int FromBcd(ushort bcd) =>
        (bcd >> 12 & 0xF) * 1000 + (bcd >> 8 & 0xF) * 100 + (bcd >> 4 & 0xF) * 10 + (bcd & 0xF);

    private static ushort ToBcd(int value) =>
        (ushort)((value / 1000 % 10) << 12 | (value / 100 % 10) << 8 | (value / 10 % 10) << 4 | value % 10);
}
