using JitVirt.Machine.Firmware;

namespace JitVirt.Machine.Loaders;

/// <summary>
/// The guest's RAM as the loaders see it: the RAM size and the E820 map the machine reports
/// (from <see cref="E820MemoryMapBuilder"/>, with the ACPI tables carved out). Loaders place
/// things only in the two usable RAM ranges it defines, and hand the same map to the kernel.
/// </summary>
public sealed class GuestMemoryLayout
{
    public GuestMemoryLayout(ulong ramSize, IReadOnlyList<E820Entry> memoryMap)
    {
        ArgumentNullException.ThrowIfNull(memoryMap);
        RamSize = ramSize;
        MemoryMap = memoryMap;
        LowMemoryEnd = EndOfRamFrom(0);
        HighMemoryEnd = EndOfRamFrom(E820MemoryMapBuilder.HighMemoryStart);
    }

    /// <summary>The standard PC map for <paramref name="ramSize"/> bytes (no ACPI carve-out).</summary>
    public static GuestMemoryLayout ForRam(ulong ramSize) => new(ramSize, E820MemoryMapBuilder.ForRam(ramSize).Entries);

    public ulong RamSize { get; }
    public IReadOnlyList<E820Entry> MemoryMap { get; }

    /// <summary>End of the conventional RAM that starts at 0 (at most 0x9FC00, the EBDA).</summary>
    public ulong LowMemoryEnd { get; }

    /// <summary>End of the contiguous RAM that starts at 1 MiB, or 1 MiB when there is none.</summary>
    public ulong HighMemoryEnd { get; }

    /// <summary>True when [start, end) lies in one of the two usable RAM ranges.</summary>
    public bool IsUsableRam(ulong start, ulong end) =>
        end >= start && (end <= LowMemoryEnd || (start >= E820MemoryMapBuilder.HighMemoryStart && end <= HighMemoryEnd));

    /// <summary>Follows RAM entries that contain <paramref name="start"/> and abut one another.</summary>
    private ulong EndOfRamFrom(ulong start)
    {
        ulong end = start;
        for (bool grew = true; grew;)
        {
            grew = false;
            foreach (var e in MemoryMap)
            {
                if (e.Type != E820Type.Ram || e.Base > end || e.End <= end) continue;
                end = e.End;
                grew = true;
            }
        }
        return Math.Min(end, Math.Max(start, RamSize));
    }
}
