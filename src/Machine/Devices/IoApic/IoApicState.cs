namespace JitVirt.Machine.Devices.IoApic;

/// <summary>Plain register state of the I/O APIC plus the current level of each input pin.</summary>
public sealed record IoApicState
{
    public byte RegisterSelect;
    public uint Id;
    public uint ArbitrationId;
    /// <summary>Logical level of each input pin, bit n = pin n.</summary>
    public uint InputLevels;
    public IoApicRedirectionEntry[] RedirectionTable { get; init; } = CreateTable();

    private static IoApicRedirectionEntry[] CreateTable()
    {
        var table = new IoApicRedirectionEntry[IoApicRegister.PinCount];
        Array.Fill(table, IoApicRedirectionEntry.Reset);
        return table;
    }
}
