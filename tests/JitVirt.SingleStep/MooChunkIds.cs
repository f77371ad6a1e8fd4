namespace JitVirt.SingleStep;

/// <summary>Chunk ids of the MOO format as little-endian u32 values of their 4 ASCII bytes.</summary>
internal static class MooChunkIds
{
    public static readonly uint Moo = Id("MOO ");
    public static readonly uint Meta = Id("META");
    public static readonly uint Test = Id("TEST");
    public static readonly uint Name = Id("NAME");
    public static readonly uint Bytes = Id("BYTS");
    public static readonly uint Init = Id("INIT");
    public static readonly uint Final = Id("FINA");
    public static readonly uint Exception = Id("EXCP");
    public static readonly uint Hash = Id("HASH");
    public static readonly uint Registers = Id("REGS");
    public static readonly uint Ram = Id("RAM ");

    public static uint Id(string fourChars) =>
        (uint)fourChars[0] | (uint)fourChars[1] << 8 | (uint)fourChars[2] << 16 | (uint)fourChars[3] << 24;

    public static string Text(uint id) =>
        new([(char)(id & 0xFF), (char)(id >> 8 & 0xFF), (char)(id >> 16 & 0xFF), (char)(id >> 24)]);
}
