using JitVirt.Cpu.Platform;

namespace JitVirt.Svm.Tests.Support;

/// <summary>An I/O bus test double: records every access; IN returns <see cref="InValue"/> truncated to the size.</summary>
public sealed class RecordingPorts : IPortIo
{
    public readonly record struct Access(bool IsIn, ushort Port, int Size, uint Value);

    public List<Access> Accesses { get; } = [];

    public uint InValue { get; set; } = 0x8765_4321;

    public uint In(ushort port, int size)
    {
        uint v = size == 4 ? InValue : InValue & ((1u << (size * 8)) - 1);
        Accesses.Add(new Access(true, port, size, v));
        return v;
    }

    /// <summary>Called after each OUT (tests raise interrupts from it, as a device would).</summary>
    public Action<ushort, uint>? OnOut { get; set; }

    public void Out(ushort port, int size, uint value)
    {
        Accesses.Add(new Access(false, port, size, value));
        OnOut?.Invoke(port, value);
    }
}

/// <summary>A PIC/APIC test double: one pending vector (and an NMI line) the test raises.</summary>
public sealed class TestInterruptSource : IInterruptSource
{
    public byte? Pending { get; set; }
    public int Acknowledged { get; private set; }
    public bool HasPendingInterrupt => Pending is not null;

    public byte AcknowledgeInterrupt()
    {
        byte v = Pending ?? 0xFF;
        Pending = null;
        Acknowledged++;
        return v;
    }

    public bool HasPendingNmi { get; set; }
    public void AcknowledgeNmi() => HasPendingNmi = false;
}
