namespace JitVirt.Machine.Devices.Rtc;

/// <summary>Encodes/decodes clock bytes per register B DM (BCD or binary) and 24/12 (MC146818A, "Time, Calendar and Alarm Data Modes", Table 3).</summary>
internal static class RtcTimeCodec
{
    public static byte Encode(int value, bool binary) => binary ? (byte)value : (byte)((value / 10 << 4) | value % 10);

    public static int Decode(byte value, bool binary) => binary ? value : (value >> 4) * 10 + (value & 0x0F);

    public static byte EncodeHour(int hour, bool binary, bool hours24)
    {
        if (hours24) return Encode(hour, binary);
        int hour12 = hour % 12 == 0 ? 12 : hour % 12;
        byte pm = hour >= 12 ? RtcRegisters.HourPm : (byte)0;
        return (byte)(Encode(hour12, binary) | pm);
    }

    public static int DecodeHour(byte value, bool binary, bool hours24)
    {
        if (hours24) return Decode(value, binary);
        int hour12 = Decode((byte)(value & ~RtcRegisters.HourPm), binary) % 12;
        return (value & RtcRegisters.HourPm) != 0 ? hour12 + 12 : hour12;
    }
}
