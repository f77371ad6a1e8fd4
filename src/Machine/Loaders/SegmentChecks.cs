namespace JitVirt.Machine.Loaders;

/// <summary>Checks shared by the executable loaders: every segment in RAM, no two overlapping.</summary>
public static class SegmentChecks
{
    public static void InRamAndDisjoint(ImageFile file, IReadOnlyList<GuestWrite> segments, GuestMemoryLayout memory)
    {
        for (int i = 0; i < segments.Count; i++)
        {
            var s = segments[i];
            if (s.End < s.Address)
                throw file.Error($"{s.What} at 0x{s.Address:X} (+0x{s.Size:X}) wraps around the address space");
            if (!memory.IsUsableRam(s.Address, s.End))
                throw file.Error($"{s.What} at 0x{s.Address:X}-0x{s.End:X} lies outside guest RAM "
                    + $"(usable: 0-0x{memory.LowMemoryEnd:X} and 0x100000-0x{memory.HighMemoryEnd:X})");
            for (int j = 0; j < i; j++)
            {
                if (segments[j].Size != 0 && s.Size != 0 && segments[j].Overlaps(s.Address, s.End))
                    throw file.Error($"{segments[j].What} (0x{segments[j].Address:X}-0x{segments[j].End:X}) and {s.What} (0x{s.Address:X}-0x{s.End:X}) overlap");
            }
        }
    }
}
