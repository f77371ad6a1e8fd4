using System.Buffers.Binary;

namespace JitVirt.Machine.Loaders;

/// <summary>
/// Bounds-checked little-endian reads from an <see cref="ImageFile"/>: a read past the end is a
/// <see cref="LoaderException"/> saying the file is truncated, never an IndexOutOfRange escaping.
/// </summary>
public readonly struct ImageReader
{
    private readonly ImageFile _file;

    public ImageReader(ImageFile file) => _file = file;

    public ReadOnlySpan<byte> Span(long offset, long length, string what)
    {
        if (offset < 0 || length < 0 || offset + length > _file.Length)
            throw _file.Error($"truncated: {what} at offset 0x{offset:X} (+{length} bytes) lies past the end of the {_file.Length}-byte file");
        return _file.Bytes.Span.Slice((int)offset, (int)length);
    }

    public ReadOnlyMemory<byte> Memory(long offset, long length, string what)
    {
        Span(offset, length, what);
        return _file.Bytes.Slice((int)offset, (int)length);
    }

    public byte U8(long offset, string what) => Span(offset, 1, what)[0];
    public ushort U16(long offset, string what) => BinaryPrimitives.ReadUInt16LittleEndian(Span(offset, 2, what));
    public uint U32(long offset, string what) => BinaryPrimitives.ReadUInt32LittleEndian(Span(offset, 4, what));
    public ulong U64(long offset, string what) => BinaryPrimitives.ReadUInt64LittleEndian(Span(offset, 8, what));
}
