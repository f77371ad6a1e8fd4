namespace JitVirt.Machine.Devices.Pic;

/// <summary>Register state of one 8259A (snapshot-ready).</summary>
public sealed class Pic8259State
{
    public byte InterruptRequest; // IRR
    public byte InService; // ISR
    public byte InterruptMask; // IMR (OCW1)
    public byte InputLevels; // current level of each IR pin, for edge detection
    public byte EdgeLevelControl; // ELCR (PIIX4 ports 4D0h/4D1h): 1 = level-triggered
    public byte VectorBase; // ICW2 & F8h
    public byte Cascade; // ICW3: master = inputs with slaves, slave = its ID
    public byte LowestPriority = 7; // datasheet ICW1 effect c: IR7 gets the lowest priority
    public int ExpectedIcw; // 0 = operational, else 2, 3 or 4: next write to A0=1 is that ICW
    public bool NeedIcw4;
    public bool Single;
    public bool LevelTriggeredAll; // ICW1 LTIM
    public bool AutoEoi;
    public bool RotateOnAutoEoi;
    public bool SpecialFullyNested;
    public bool SpecialMask;
    public bool ReadInService; // OCW3 RR/RIS: read ISR rather than IRR
    public bool PollPending;
}
