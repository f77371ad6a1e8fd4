namespace JitVirt.Machine.Loaders;

/// <summary>An executable laid out in guest-physical memory: its segments and its entry point.</summary>
public sealed record LoadedKernel(IReadOnlyList<GuestWrite> Segments, ulong Entry)
{
    /// <summary>End of the highest segment, BSS included.</summary>
    public ulong End
    {
        get
        {
            ulong end = 0;
            foreach (var s in Segments) end = Math.Max(end, s.End);
            return end;
        }
    }
}
