namespace JitVirt.Machine.Pc;

/// <summary>
/// A system BIOS ROM (-bios FILE): mapped read-only so that it ends at 4 GiB, where the reset vector
/// FFFFFFF0h fetches (SDM vol.3 §10.1.4), and its last 128 KiB also at E0000h-FFFFFh, as the PC chipset
/// aliases them. The processor starts from its reset state.
/// </summary>
public sealed class BiosBootImage : IBootImage
{
    private const ulong FourGiB = 0x1_0000_0000;
    private const ulong LegacyBiosEnd = 0x10_0000;
    private const int LegacyBiosWindow = 128 * 1024;
    private const int MaximumSize = 16 << 20;

    private readonly byte[] _rom;
    private bool _mapped;

    public BiosBootImage(byte[] rom)
    {
        if (rom.Length == 0 || rom.Length > MaximumSize || (rom.Length & 0xFFF) != 0)
            throw new ArgumentException($"a BIOS image must be a non-empty multiple of 4 KiB up to 16 MiB (got {rom.Length} bytes)", nameof(rom));
        _rom = rom;
    }

    public string Description => $"BIOS, {_rom.Length / 1024} KiB";

    public void Load(PcMachine machine)
    {
        if (_mapped) return; // ROM windows survive resets
        machine.Memory.MapRom(FourGiB - (ulong)_rom.Length, _rom);
        int low = Math.Min(_rom.Length, LegacyBiosWindow);
        machine.Memory.MapRom(LegacyBiosEnd - (ulong)low, _rom[^low..]);
        _mapped = true;
    }
}
