namespace JitVirt.Machine.Loaders;

/// <summary>
/// What a loader produced: the bytes to put into guest RAM, any ROM windows to map, and the
/// processor state to start in. Nothing has touched guest memory yet; <see cref="Install"/> does.
/// </summary>
public sealed record BootImage(IReadOnlyList<GuestWrite> Writes, IReadOnlyList<RomMapping> Roms, BootState Entry)
{
    private const int ZeroChunk = 64 * 1024;

    /// <summary>
    /// Writes every <see cref="GuestWrite"/> (data, then its zero fill) through
    /// <c>PhysicalMemory.WriteBytes</c>, so frames holding decoded code are invalidated, and maps
    /// the ROMs. A write outside RAM (the image was planned for a larger machine) is a
    /// <see cref="LoaderException"/>.
    /// </summary>
    public void Install(JitVirt.Cpu.Memory.PhysicalMemory memory)
    {
        ArgumentNullException.ThrowIfNull(memory);
        foreach (var w in Writes)
        {
            if (w.End > memory.RamSize || w.End < w.Address)
                throw new LoaderException(w.What, $"0x{w.Address:X}-0x{w.End:X} lies beyond the {memory.RamSize >> 20} MiB of guest RAM");
        }
        byte[]? zeros = null;
        foreach (var w in Writes)
        {
            memory.WriteBytes(w.Address, w.Data.Span);
            ulong address = w.Address + (ulong)w.Data.Length;
            while (address < w.End)
            {
                zeros ??= new byte[ZeroChunk];
                int n = (int)Math.Min((ulong)ZeroChunk, w.End - address);
                memory.WriteBytes(address, zeros.AsSpan(0, n));
                address += (ulong)n;
            }
        }
        foreach (var rom in Roms) memory.MapRom(rom.Address, rom.Image);
    }

    /// <summary>Installs the image and applies the entry state to <paramref name="cpu"/>.</summary>
    public void Boot(JitVirt.Cpu.Cpu cpu)
    {
        ArgumentNullException.ThrowIfNull(cpu);
        Install(cpu.Physical);
        BootStateApplier.Apply(cpu, Entry);
    }
}
