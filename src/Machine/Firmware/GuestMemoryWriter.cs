using System.Buffers.Binary;

namespace JitVirt.Machine.Firmware;

/// <summary>
/// Little-endian writes into a span that holds guest-physical memory starting at <see cref="BaseAddress"/>.
/// The machine hands over its RAM span; firmware builders address it by guest-physical address.
/// </summary>
public readonly ref struct GuestMemoryWriter
{
    private readonly Span<byte> _memory;

    public GuestMemoryWriter(Span<byte> memory, ulong baseAddress)
    {
        _memory = memory;
        BaseAddress = baseAddress;
    }

    public ulong BaseAddress { get; }

    public ulong EndAddress => BaseAddress + (ulong)_memory.Length;

    /// <summary>The bytes at guest-physical <paramref name="address"/>; throws when outside the span.</summary>
    public Span<byte> Slice(ulong address, int length)
    {
        if (address < BaseAddress || address + (ulong)length > EndAddress)
            throw new ArgumentOutOfRangeException(nameof(address), $"0x{address:X} (+{length}) lies outside the guest memory handed to the writer");
        return _memory.Slice((int)(address - BaseAddress), length);
    }

    public void WriteBytes(ulong address, ReadOnlySpan<byte> bytes) => bytes.CopyTo(Slice(address, bytes.Length));

    public void WriteUInt32(ulong address, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Slice(address, 4), value);
}
