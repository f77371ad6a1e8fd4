namespace JitVirt.Machine.Bus;

/// <summary>
/// The physical address space's MMIO windows as a sorted range map over 64-bit addresses. Like
/// <see cref="PortIoBus"/>, gaps are explicit segments owned by <see cref="OpenBusMmioDevice"/>, so an
/// unmapped access (reads all ones) costs the same as a mapped one. Devices see offsets from their base.
/// </summary>
public sealed class MmioBus
{
    private readonly List<Registration> _registrations = [];
    private ulong[] _segmentStarts = [0];
    private ulong[] _segmentBases = [0];
    private IMmioDevice[] _segmentDevices = [OpenBusMmioDevice.Instance];

    private readonly record struct Registration(ulong First, ulong Length, IMmioDevice Device)
    {
        public ulong Last => First + (Length - 1); // inclusive, so a range may end at 2^64-1
    }

    /// <summary>Maps [first, first+length) to <paramref name="device"/>; throws if it intersects a mapped range.</summary>
    public void Register(ulong first, ulong length, IMmioDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (length == 0 || first + (length - 1) < first)
            throw new ArgumentOutOfRangeException(nameof(length), $"MMIO range {first:X}h+{length:X}h is empty or wraps.");
        var candidate = new Registration(first, length, device);
        foreach (var existing in _registrations)
        {
            if (candidate.First <= existing.Last && existing.First <= candidate.Last)
                throw new BusRangeOverlapException(
                    $"MMIO {candidate.First:X}h-{candidate.Last:X}h overlaps {existing.First:X}h-{existing.Last:X}h ({existing.Device.GetType().Name}).");
        }
        _registrations.Add(candidate);
        RebuildSegments();
    }

    /// <summary>Removes the range that starts at <paramref name="first"/> (for relocatable BARs); false if none.</summary>
    public bool Unregister(ulong first)
    {
        int index = _registrations.FindIndex(r => r.First == first);
        if (index < 0) return false;
        _registrations.RemoveAt(index);
        RebuildSegments();
        return true;
    }

    /// <summary>True if a device (not the open bus) answers at <paramref name="address"/>.</summary>
    public bool IsMapped(ulong address) => _segmentDevices[FindSegment(address)] != OpenBusMmioDevice.Instance;

    public ulong Read(ulong address, int size)
    {
        int s = FindSegment(address);
        return _segmentDevices[s].ReadMmio(address - _segmentBases[s], size) & AccessSize.Mask(size);
    }

    public void Write(ulong address, int size, ulong value)
    {
        int s = FindSegment(address);
        _segmentDevices[s].WriteMmio(address - _segmentBases[s], size, value & AccessSize.Mask(size));
    }

    private int FindSegment(ulong address)
    {
        ulong[] starts = _segmentStarts;
        int low = 0, high = starts.Length - 1;
        while (low < high)
        {
            int mid = (low + high + 1) >> 1;
            if (starts[mid] <= address) low = mid; else high = mid - 1;
        }
        return low;
    }

    private void RebuildSegments()
    {
        _registrations.Sort((a, b) => a.First.CompareTo(b.First));
        var starts = new List<ulong>();
        var bases = new List<ulong>();
        var devices = new List<IMmioDevice>();
        ulong cursor = 0;
        bool coveredToTop = false;
        foreach (var r in _registrations)
        {
            if (r.First > cursor) AddSegment(cursor, cursor, OpenBusMmioDevice.Instance);
            AddSegment(r.First, r.First, r.Device);
            if (r.Last == ulong.MaxValue) { coveredToTop = true; break; }
            cursor = r.Last + 1;
        }
        if (!coveredToTop)
            AddSegment(cursor, cursor, OpenBusMmioDevice.Instance);
        _segmentDevices = [.. devices];
        _segmentBases = [.. bases];
        _segmentStarts = [.. starts];

        void AddSegment(ulong start, ulong baseAddress, IMmioDevice device)
        {
            starts.Add(start);
            bases.Add(baseAddress);
            devices.Add(device);
        }
    }
}
