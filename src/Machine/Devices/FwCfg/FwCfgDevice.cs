using System.Buffers.Binary;
using System.Text;
using JitVirt.Machine.Bus;

namespace JitVirt.Machine.Devices.FwCfg;

/// <summary>
/// QEMU firmware configuration device, traditional I/O interface (docs/specs/fw_cfg.rst):
/// 16-bit selector at 0x510, 8-bit data at 0x511. Departures: no DMA interface (FW_CFG_ID bit 1
/// clear); data-port writes are ignored as in QEMU ≥ 2.4; wider data reads return the next bytes
/// in increasing order, as the spec describes for MMIO data registers.
/// </summary>
public sealed class FwCfgDevice : IPortIoDevice
{
    public const ushort SelectorPort = 0x510;
    public const ushort DataPort = 0x511;

    /// <summary>FW_CFG_ID bit 0: traditional interface present (fw_cfg.rst "Revision / feature bitmap").</summary>
    public const uint FeatureTraditional = 1;

    /// <summary>Name field of a directory entry is 56 bytes including the NUL (fw_cfg.rst "File Directory").</summary>
    public const int MaxFileNameBytes = 55;

    private const int DirectoryEntrySize = 64;
    private const int MaxItems = FwCfgSelector.KeyMask + 1;

    private readonly byte[]?[] _generic = new byte[]?[MaxItems];
    private readonly byte[]?[] _architecture = new byte[]?[MaxItems];
    private readonly List<FwCfgFile> _files = [];

    public FwCfgDevice(ulong ramSizeBytes, ushort cpuCount, ushort maxCpus)
    {
        SetItem(FwCfgSelector.Signature, "QEMU"u8.ToArray());
        SetItem(FwCfgSelector.Id, LittleEndian32(FeatureTraditional));
        var ram = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(ram, ramSizeBytes);
        SetItem(FwCfgSelector.RamSize, ram);
        SetItem(FwCfgSelector.NbCpus, LittleEndian16(cpuCount));
        SetItem(FwCfgSelector.MaxCpus, LittleEndian16(maxCpus));
        RebuildDirectory();
    }

    public FwCfgState State { get; } = new();

    public IReadOnlyList<FwCfgFile> Files => _files;

    /// <summary>Sets a numbered item (key bits 13:0; bit 15 for the architecture table).</summary>
    public void SetItem(ushort selector, byte[] data)
    {
        var table = (selector & FwCfgSelector.ArchitectureBit) != 0 ? _architecture : _generic;
        table[selector & FwCfgSelector.KeyMask] = data;
    }

    /// <summary>
    /// Adds a named file and returns its selector. Files are kept sorted by name with consecutive
    /// selectors from <see cref="FwCfgSelector.FileFirst"/>, as QEMU lays them out, so selectors
    /// may shift while files are still being added: look them up through the directory.
    /// </summary>
    public ushort AddFile(string name, byte[] data)
    {
        if (Encoding.ASCII.GetByteCount(name) > MaxFileNameBytes) throw new ArgumentException("fw_cfg file names are at most 55 bytes", nameof(name));
        int index = 0;
        while (index < _files.Count && string.CompareOrdinal(_files[index].Name, name) < 0) index++;
        if (index < _files.Count && _files[index].Name == name) throw new ArgumentException($"fw_cfg file '{name}' already exists", nameof(name));
        _files.Insert(index, new FwCfgFile(name, 0, data));
        RebuildDirectory();
        return _files[index].Selector;
    }

    public uint ReadPort(ushort port, int size)
    {
        if (port != DataPort) return 0;
        uint value = 0;
        for (int i = 0; i < size; i++) value |= (uint)NextDataByte() << (i * 8);
        return value;
    }

    /// <summary>A selector write resets the data offset to zero (fw_cfg.rst "Selector Register").</summary>
    public void WritePort(ushort port, int size, uint value)
    {
        if (port != SelectorPort || size < 2) return;
        State.Selector = (ushort)value;
        State.Offset = 0;
    }

    /// <summary>Past the end of the item (or for an absent item) reads return zero (fw_cfg.rst "Data Register").</summary>
    private byte NextDataByte()
    {
        var data = SelectedItem();
        if (data is null || State.Offset >= data.Length) return 0;
        return data[State.Offset++];
    }

    private byte[]? SelectedItem()
    {
        var table = (State.Selector & FwCfgSelector.ArchitectureBit) != 0 ? _architecture : _generic;
        return table[State.Selector & FwCfgSelector.KeyMask];
    }

    /// <summary>Directory: big-endian count, then 64-byte entries {be32 size, be16 select, be16 reserved, char name[56]}.</summary>
    private void RebuildDirectory()
    {
        var directory = new byte[4 + _files.Count * DirectoryEntrySize];
        BinaryPrimitives.WriteUInt32BigEndian(directory, (uint)_files.Count);
        for (int i = 0; i < _files.Count; i++)
        {
            var file = _files[i] with { Selector = (ushort)(FwCfgSelector.FileFirst + i) };
            _files[i] = file;
            _generic[file.Selector] = file.Data;
            var entry = directory.AsSpan(4 + i * DirectoryEntrySize, DirectoryEntrySize);
            BinaryPrimitives.WriteUInt32BigEndian(entry, (uint)file.Data.Length);
            BinaryPrimitives.WriteUInt16BigEndian(entry[4..], file.Selector);
            Encoding.ASCII.GetBytes(file.Name, entry[8..]);
        }
        _generic[FwCfgSelector.FileDirectory] = directory;
    }

    private static byte[] LittleEndian16(ushort value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, value);
        return bytes;
    }

    private static byte[] LittleEndian32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return bytes;
    }
}
