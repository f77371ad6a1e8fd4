namespace JitVirt.Machine.Bus;

/// <summary>
/// The x86 I/O address space (64 KiB of ports) as a sorted range map. The segment table always covers
/// every port: gaps are filled with <see cref="OpenBusPortDevice"/>, so an unassigned access does the
/// same binary search and one virtual call as an assigned one (no miss path, no allocation, no throw).
/// An access is routed by its first port; a device sees the absolute port and the access size.
/// Registration is a setup-time operation on the machine thread (not synchronised with accesses).
/// </summary>
public sealed class PortIoBus
{
    private const int PortSpaceSize = 0x10000; // 16 address lines: ports 0000h-FFFFh

    private readonly List<Registration> _registrations = [];
    private int[] _segmentStarts = [0];
    private IPortIoDevice[] _segmentDevices = [OpenBusPortDevice.Instance];

    private readonly record struct Registration(int First, int Count, IPortIoDevice Device)
    {
        public int End => First + Count; // exclusive
    }

    /// <summary>Maps ports [first, first+count) to <paramref name="device"/>; throws if any port is taken.</summary>
    public void Register(ushort first, int count, IPortIoDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (count <= 0 || first + count > PortSpaceSize)
            throw new ArgumentOutOfRangeException(nameof(count), $"Port range {first:X4}h+{count} is outside 0000h-FFFFh.");
        var candidate = new Registration(first, count, device);
        foreach (var existing in _registrations)
        {
            if (candidate.First < existing.End && existing.First < candidate.End)
                throw new BusRangeOverlapException(
                    $"Ports {first:X4}h-{first + count - 1:X4}h overlap {existing.First:X4}h-{existing.End - 1:X4}h ({existing.Device.GetType().Name}).");
        }
        _registrations.Add(candidate);
        RebuildSegments();
    }

    /// <summary>Removes the range that starts at <paramref name="first"/> (for relocatable BARs); false if none.</summary>
    public bool Unregister(ushort first)
    {
        int index = _registrations.FindIndex(r => r.First == first);
        if (index < 0) return false;
        _registrations.RemoveAt(index);
        RebuildSegments();
        return true;
    }

    /// <summary>The device that answers <paramref name="port"/> (the open-bus device if none).</summary>
    public IPortIoDevice Resolve(ushort port) => _segmentDevices[FindSegment(port)];

    public uint Read(ushort port, int size) =>
        _segmentDevices[FindSegment(port)].ReadPort(port, size) & AccessSize.PortMask(size);

    public void Write(ushort port, int size, uint value) =>
        _segmentDevices[FindSegment(port)].WritePort(port, size, value & AccessSize.PortMask(size));

    private int FindSegment(int port)
    {
        int[] starts = _segmentStarts;
        int low = 0, high = starts.Length - 1;
        while (low < high)
        {
            int mid = (low + high + 1) >> 1;
            if (starts[mid] <= port) low = mid; else high = mid - 1;
        }
        return low;
    }

    private void RebuildSegments()
    {
        _registrations.Sort((a, b) => a.First.CompareTo(b.First));
        var starts = new List<int>();
        var devices = new List<IPortIoDevice>();
        int cursor = 0;
        foreach (var r in _registrations)
        {
            if (r.First > cursor) { starts.Add(cursor); devices.Add(OpenBusPortDevice.Instance); }
            starts.Add(r.First);
            devices.Add(r.Device);
            cursor = r.End;
        }
        if (cursor < PortSpaceSize) { starts.Add(cursor); devices.Add(OpenBusPortDevice.Instance); }
        _segmentDevices = [.. devices];
        _segmentStarts = [.. starts];
    }
}
