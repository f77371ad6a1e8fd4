namespace JitVirt.Machine.Devices.Pci;

/// <summary>
/// A conventional PCI function: 256 bytes of configuration space with a per-byte write mask, so BAR
/// sizing (write all ones, read back the mask) falls out of the mask (PCI 3.0 §6.2.5.1).
/// Departures: the status register is read-only (no write-one-to-clear bits), there are no
/// capabilities and no expansion ROM (its BAR reads zero).
/// </summary>
public abstract class PciFunction
{
    private readonly byte[] _config = new byte[PciConfigRegister.ConfigSpaceSize];
    private readonly byte[] _writeMask = new byte[PciConfigRegister.ConfigSpaceSize];
    private readonly PciBar?[] _bars = new PciBar?[PciConfigRegister.BarCount];

    protected PciFunction(ushort vendorId, ushort deviceId, byte revision, byte baseClass, byte subClass, byte programmingInterface, byte headerType)
    {
        SetWord(PciConfigRegister.VendorId, vendorId);
        SetWord(PciConfigRegister.DeviceId, deviceId);
        _config[PciConfigRegister.RevisionId] = revision;
        _config[PciConfigRegister.ClassCode] = programmingInterface;
        _config[PciConfigRegister.ClassCode + 1] = subClass;
        _config[PciConfigRegister.ClassCode + 2] = baseClass;
        _config[PciConfigRegister.HeaderType] = headerType;
        MakeWritable(PciConfigRegister.Command, PciConfigRegister.CommandWritable);
        MakeWritable(PciConfigRegister.CacheLineSize, 0xFF);
        MakeWritable(PciConfigRegister.LatencyTimer, 0xFF);
        MakeWritable(PciConfigRegister.InterruptLine, 0xFF);
    }

    /// <summary>Raised after a write that changed the command register or a BAR: the machine re-maps this function's regions.</summary>
    public Action<PciFunction>? DecodingChanged { get; set; }

    public ushort VendorId => GetWord(PciConfigRegister.VendorId);
    public ushort DeviceId => GetWord(PciConfigRegister.DeviceId);
    public ushort Command => GetWord(PciConfigRegister.Command);
    public bool IoSpaceEnabled => (Command & PciConfigRegister.CommandIoSpace) != 0;
    public bool MemorySpaceEnabled => (Command & PciConfigRegister.CommandMemorySpace) != 0;
    public byte InterruptPin => _config[PciConfigRegister.InterruptPin];
    public byte InterruptLine => _config[PciConfigRegister.InterruptLine];

    public PciBar? GetBar(int index) => _bars[index];

    /// <summary>Address currently programmed in BAR <paramref name="index"/> (type bits stripped).</summary>
    public ulong GetBarAddress(int index)
    {
        var bar = _bars[index] ?? throw new ArgumentOutOfRangeException(nameof(index), "BAR not implemented");
        int offset = PciConfigRegister.Bar0 + index * 4;
        ulong low = GetDword(offset) & bar.LowAddressMask;
        ulong high = bar.Kind == PciBarKind.Memory64 ? GetDword(offset + 4) : 0;
        return (high << 32) | low;
    }

    /// <summary>Config read of 1, 2 or 4 bytes; an access running past the end reads ones.</summary>
    public uint ReadConfig(int offset, int size)
    {
        uint value = 0;
        for (int i = 0; i < size; i++)
        {
            int at = offset + i;
            uint b = at < _config.Length ? _config[at] : 0xFFu;
            value |= b << (i * 8);
        }
        return value;
    }

    public void WriteConfig(int offset, int size, uint value)
    {
        bool decodingTouched = false;
        for (int i = 0; i < size && offset + i < _config.Length; i++)
        {
            int at = offset + i;
            byte mask = _writeMask[at];
            _config[at] = (byte)((_config[at] & (byte)~mask) | (byte)((value >> (i * 8)) & mask));
            decodingTouched |= IsDecodingRegister(at);
        }
        OnConfigWritten(offset, size);
        if (decodingTouched) DecodingChanged?.Invoke(this);
    }

    /// <summary>Firmware helper: program a BAR without going through the config port.</summary>
    public void SetBarAddress(int index, ulong address)
    {
        int offset = PciConfigRegister.Bar0 + index * 4;
        WriteConfig(offset, 4, (uint)address);
        if (_bars[index]?.Kind == PciBarKind.Memory64) WriteConfig(offset + 4, 4, (uint)(address >> 32));
    }

    /// <summary>Hook for devices with side effects on config writes.</summary>
    protected virtual void OnConfigWritten(int offset, int size)
    {
    }

    /// <summary>Declares BAR <paramref name="index"/>; a 64-bit BAR also takes the next slot (PCI 3.0 §6.2.5.1).</summary>
    protected void DefineBar(int index, PciBarKind kind, ulong size, bool prefetchable = false)
    {
        if (!PciBar.IsPowerOfTwo(size) || (kind == PciBarKind.Io ? size < 4 : size < 16))
            throw new ArgumentOutOfRangeException(nameof(size), "BAR sizes are powers of two, at least 4 (I/O) or 16 (memory) bytes");
        var bar = new PciBar(index, kind, size, prefetchable);
        _bars[index] = bar;
        int offset = PciConfigRegister.Bar0 + index * 4;
        SetDword(offset, bar.TypeBits);
        SetDwordMask(offset, bar.LowAddressMask);
        if (kind == PciBarKind.Memory64) SetDwordMask(offset + 4, bar.HighAddressMask);
    }

    protected void SetInterruptPin(byte pin) => _config[PciConfigRegister.InterruptPin] = pin;

    protected void SetSubsystem(ushort vendorId, ushort subsystemId)
    {
        SetWord(PciConfigRegister.SubsystemVendorId, vendorId);
        SetWord(PciConfigRegister.SubsystemId, subsystemId);
    }

    protected void MakeWritable(int offset, ushort mask)
    {
        _writeMask[offset] = (byte)mask;
        if (mask > 0xFF) _writeMask[offset + 1] = (byte)(mask >> 8);
    }

    protected void SetByte(int offset, byte value) => _config[offset] = value;

    protected byte GetByte(int offset) => _config[offset];

    private static bool IsDecodingRegister(int at) =>
        at is PciConfigRegister.Command or PciConfigRegister.Command + 1
        || (at >= PciConfigRegister.Bar0 && at < PciConfigRegister.BarEnd);

    private void SetWord(int offset, ushort value)
    {
        _config[offset] = (byte)value;
        _config[offset + 1] = (byte)(value >> 8);
    }

    private ushort GetWord(int offset) => (ushort)(_config[offset] | (_config[offset + 1] << 8));

    private uint GetDword(int offset) => ReadConfig(offset, 4);

    private void SetDword(int offset, uint value)
    {
        for (int i = 0; i < 4; i++) _config[offset + i] = (byte)(value >> (i * 8));
    }

    private void SetDwordMask(int offset, uint mask)
    {
        for (int i = 0; i < 4; i++) _writeMask[offset + i] = (byte)(mask >> (i * 8));
    }
}
