namespace JitVirt.Machine.Devices.Rtc;

/// <summary>State of the RTC/CMOS (snapshot-ready). Time is <see cref="BaseTime"/> plus virtual time since <see cref="AnchorNanoseconds"/>.</summary>
public sealed class Mc146818State
{
    public readonly byte[] Ram = new byte[RtcRegisters.Size]; // time bytes hold the frozen time while SET = 1
    public int Index;
    public bool NmiMasked;
    public byte RegisterA = RtcRegisters.DividerNormal32Khz | 0x06; // 1024 Hz periodic rate, as PC BIOSes program it
    public byte RegisterB = RtcRegisters.Hours24;
    public byte Flags; // register C
    public DateTime BaseTime = new(2000, 1, 1, 0, 0, 0, DateTimeKind.Unspecified);
    public long AnchorNanoseconds;
    public long LastPeriodIndex;
    public long LastSecondIndex;
}
