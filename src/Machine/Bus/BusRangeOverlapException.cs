namespace JitVirt.Machine.Bus;

/// <summary>Thrown at registration time when a new range intersects one already on the bus.</summary>
public sealed class BusRangeOverlapException(string message) : InvalidOperationException(message);
