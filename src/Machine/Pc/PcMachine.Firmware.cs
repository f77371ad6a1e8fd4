using System.Buffers.Binary;
using JitVirt.Machine.Firmware;

namespace JitVirt.Machine.Pc;

/// <summary>What the machine writes into guest memory at every (re)boot in place of a BIOS.</summary>
public sealed partial class PcMachine
{
    /// <summary>The BIOS area the ACPI tables live in: E0000h up to 1 MiB (ACPI 6.x §5.2.5.1, RSDP search range).</summary>
    private const int FirmwareAreaEnd = 0x10_0000;
    /// <summary>QEMU's fw_cfg file with the E820 map: 20-byte entries (u64 address, u64 length, u32 type).</summary>
    public const string FwCfgE820FileName = "etc/e820";
    private const int FwCfgE820EntrySize = 20;
    /// <summary>Deterministic runs start the RTC at a fixed date so that the guest sees the same time every run.</summary>
    public static readonly DateTime DeterministicEpoch = new(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private readonly AcpiPlatform _acpiPlatform = new();
    private bool _fwCfgFilesAdded;

    /// <summary>The ACPI structures written at the last boot (RSDP in E0000h-FFFFFh).</summary>
    public AcpiTablesLayout AcpiTables { get; private set; } = null!;

    /// <summary>The E820 map loaders hand to the guest (boot_params, Multiboot mmap) and fw_cfg exports.</summary>
    public IReadOnlyList<E820Entry> MemoryMap { get; private set; } = [];

    private void WriteFirmwareTables()
    {
        var writer = new GuestMemoryWriter(Memory.RamSpan(0, FirmwareAreaEnd), 0);
        AcpiTables = AcpiTablesBuilder.Build(writer, _acpiPlatform);
        MemoryMap = E820MemoryMapBuilder.ForRam(Config.RamBytes)
            .AddAcpiTables(AcpiTables.TablesStart, AcpiTables.TablesEnd)
            .Entries.ToArray();
        PciResourceAssigner.Assign(PciBus);
        Rtc.SetTime(Config.Deterministic ? DeterministicEpoch : DateTime.UtcNow);
        if (_fwCfgFilesAdded) return;
        FwCfg.AddFile(FwCfgE820FileName, EncodeE820(MemoryMap));
        _fwCfgFilesAdded = true;
    }

    private static byte[] EncodeE820(IReadOnlyList<E820Entry> map)
    {
        var bytes = new byte[map.Count * FwCfgE820EntrySize];
        for (int i = 0; i < map.Count; i++)
        {
            var entry = bytes.AsSpan(i * FwCfgE820EntrySize, FwCfgE820EntrySize);
            BinaryPrimitives.WriteUInt64LittleEndian(entry, map[i].Base);
            BinaryPrimitives.WriteUInt64LittleEndian(entry[8..], map[i].Length);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[16..], (uint)map[i].Type);
        }
        return bytes;
    }
}
