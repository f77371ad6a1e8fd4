namespace JitVirt.Machine.Devices.Serial;

/// <summary>The 16-byte receiver FIFO (PC16550D, "FIFO Control Register"); in 16450 mode it is used with capacity 1 (the RBR).</summary>
public sealed class ReceiveFifo
{
    public const int Depth = 16; // PC16550D: "16 bytes" receiver FIFO

    private readonly byte[] _bytes = new byte[Depth];
    private int _head;

    public int Count { get; private set; }

    public bool IsEmpty => Count == 0;

    public void Clear()
    {
        _head = 0;
        Count = 0;
    }

    /// <summary>Appends <paramref name="value"/> if fewer than <paramref name="capacity"/> bytes are queued.</summary>
    public bool TryPush(byte value, int capacity)
    {
        if (Count >= capacity) return false;
        _bytes[(_head + Count) % Depth] = value;
        Count++;
        return true;
    }

    /// <summary>Overwrites the newest byte (16450 RBR overrun: the previous character is destroyed).</summary>
    public void ReplaceNewest(byte value) => _bytes[(_head + Count - 1) % Depth] = value;

    public byte Pop()
    {
        if (Count == 0) return 0;
        byte value = _bytes[_head];
        _head = (_head + 1) % Depth;
        Count--;
        return value;
    }

    public byte Peek() => _bytes[_head];
}
