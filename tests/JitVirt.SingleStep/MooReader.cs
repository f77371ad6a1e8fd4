using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace JitVirt.SingleStep;

/// <summary>
/// Streams the tests of one gzip'd MOO file (README "MOO layout"). Every chunk is
/// <c>id(4) + u32 length + payload</c>, little-endian; unknown chunk ids are stepped over by
/// length. Each test's SHA-1 is checked against its <c>HASH</c> chunk (a mismatch throws
/// <see cref="InvalidDataException"/>) and tests listed in the revocation list are skipped.
/// </summary>
public sealed class MooReader : IDisposable
{
    private const int ChunkHeaderSize = 8;       // id + u32 length
    private const int MooHeaderSize = 12;        // README: MOO payload is 12 B
    private const int MetaSize = 31;             // README: META payload is 31 B
    private const int ExceptionSize = 5;         // README: EXCP is u8 vector + u32 address
    private const int HashSize = 20;             // SHA-1
    private const int RamEntrySize = 5;          // u32 address + u8 value

    private readonly Stream _stream;
    private readonly RevocationList _revocations;
    private readonly byte[] _chunkHeader = new byte[ChunkHeaderSize];

    public MooFileHeader Header { get; }

    /// <summary>Tests skipped so far because their hash is revoked.</summary>
    public int RevokedCount { get; private set; }

    public MooReader(Stream compressedStream, RevocationList? revocations = null)
    {
        _stream = new GZipStream(compressedStream, CompressionMode.Decompress);
        _revocations = revocations ?? RevocationList.Empty;
        Header = ReadHeader();
    }

    public static MooReader Open(string path, RevocationList? revocations = null) =>
        new(File.OpenRead(path), revocations);

    /// <summary>Reads every (non-revoked) test of <paramref name="path"/>.</summary>
    public static List<SingleStepTest> ReadAll(string path, RevocationList? revocations = null)
    {
        using var reader = Open(path, revocations);
        var tests = new List<SingleStepTest>((int)reader.Header.TestCount);
        while (reader.ReadNext() is { } test) tests.Add(test);
        return tests;
    }

    public IEnumerable<SingleStepTest> ReadTests()
    {
        while (ReadNext() is { } test) yield return test;
    }

    /// <summary>Returns the next non-revoked test, or null at the end of the file.</summary>
    public SingleStepTest? ReadNext()
    {
        while (TryReadChunkHeader(out uint id, out int length))
        {
            if (id != MooChunkIds.Test)
            {
                Skip(length);
                continue;
            }
            var payload = new byte[length];
            _stream.ReadExactly(payload);
            var test = ParseTest(payload);
            if (_revocations.IsRevoked(test.HashHex))
            {
                RevokedCount++;
                continue;
            }
            return test;
        }
        return null;
    }

    public void Dispose() => _stream.Dispose();

    private MooFileHeader ReadHeader()
    {
        if (!TryReadChunkHeader(out uint id, out int length) || id != MooChunkIds.Moo || length < MooHeaderSize)
            throw new InvalidDataException("MOO file does not start with a 'MOO ' chunk.");
        var moo = new byte[length];
        _stream.ReadExactly(moo);

        if (!TryReadChunkHeader(out id, out length) || id != MooChunkIds.Meta || length < MetaSize)
            throw new InvalidDataException("MOO file has no 'META' chunk after 'MOO '.");
        var meta = new byte[length];
        _stream.ReadExactly(meta);

        // MOO : u8 major, u8 minor, u8[2] reserved, u32 test count, char[4] cpu id.
        // META: u8 set major, u8 set minor, u8 cpu_type, u32 opcode, char[8] mnemonic,
        //       u32 test_ct, u64 seed, u8 cpu_mode, u8[3] reserved.
        return new MooFileHeader(
            MajorVersion: moo[0],
            MinorVersion: moo[1],
            TestCount: BinaryPrimitives.ReadUInt32LittleEndian(moo.AsSpan(4)),
            CpuId: Encoding.ASCII.GetString(moo, 8, 4),
            Opcode: BinaryPrimitives.ReadUInt32LittleEndian(meta.AsSpan(3)),
            Mnemonic: Encoding.ASCII.GetString(meta, 7, 8).TrimEnd(),
            CpuMode: meta[27]);
    }

    private bool TryReadChunkHeader(out uint id, out int length)
    {
        int read = _stream.ReadAtLeast(_chunkHeader, ChunkHeaderSize, throwOnEndOfStream: false);
        if (read == 0)
        {
            id = 0; length = 0;
            return false;
        }
        if (read < ChunkHeaderSize) throw new InvalidDataException("Truncated MOO chunk header.");
        id = BinaryPrimitives.ReadUInt32LittleEndian(_chunkHeader);
        uint rawLength = BinaryPrimitives.ReadUInt32LittleEndian(_chunkHeader.AsSpan(4));
        if (rawLength > int.MaxValue) throw new InvalidDataException($"MOO chunk too long: {rawLength}.");
        length = (int)rawLength;
        return true;
    }

    private void Skip(int length)
    {
        Span<byte> scratch = stackalloc byte[512];
        while (length > 0)
        {
            int n = Math.Min(length, scratch.Length);
            _stream.ReadExactly(scratch[..n]);
            length -= n;
        }
    }

    private static SingleStepTest ParseTest(byte[] payload)
    {
        var span = payload.AsSpan();
        uint index = BinaryPrimitives.ReadUInt32LittleEndian(span);
        string? name = null;
        byte[]? bytes = null;
        RegisterSet? initRegs = null;
        RamByte[]? initRam = null;
        RegisterSet? finalRegs = null;
        ushort finalMask = 0;
        RamByte[]? finalRam = null;
        TestException? exception = null;
        byte[]? hash = null;

        int pos = 4;
        while (pos < span.Length)
        {
            uint id = SubChunk(span, pos, out var body, out int next);
            if (id == MooChunkIds.Name)
                name = Encoding.ASCII.GetString(CountedBytes(body));
            else if (id == MooChunkIds.Bytes)
                bytes = CountedBytes(body).ToArray();
            else if (id == MooChunkIds.Init)
            {
                var (mask, regs, ram) = ParseState(body, baseline: null);
                if (mask != (1 << RegisterSet.Count) - 1)
                    throw new InvalidDataException($"Test {index}: INIT does not hold all 14 registers (mask {mask:X4}).");
                initRegs = regs;
                initRam = ram;
            }
            else if (id == MooChunkIds.Final)
            {
                if (initRegs is null) throw new InvalidDataException($"Test {index}: FINA before INIT.");
                (finalMask, finalRegs, finalRam) = ParseState(body, initRegs);
            }
            else if (id == MooChunkIds.Exception)
            {
                if (body.Length < ExceptionSize) throw new InvalidDataException($"Test {index}: short EXCP.");
                exception = new TestException(body[0], BinaryPrimitives.ReadUInt32LittleEndian(body[1..]));
            }
            else if (id == MooChunkIds.Hash)
            {
                if (body.Length != HashSize) throw new InvalidDataException($"Test {index}: HASH is not 20 bytes.");
                hash = body.ToArray();
                // README: SHA-1 of the TEST payload from the index up to the start of the HASH chunk.
                var actual = SHA1.HashData(span[..pos]);
                if (!actual.AsSpan().SequenceEqual(hash))
                    throw new InvalidDataException(
                        $"Test {index} ('{name}'): SHA-1 {Convert.ToHexStringLower(actual)} does not match HASH {Convert.ToHexStringLower(hash)}.");
            }
            // GMET, CYCL and any unknown chunk: stepped over.
            pos = next;
        }

        return new SingleStepTest
        {
            Index = index,
            Name = name ?? throw Missing(index, "NAME"),
            Bytes = bytes ?? throw Missing(index, "BYTS"),
            InitialRegisters = initRegs ?? throw Missing(index, "INIT"),
            InitialRam = initRam!,
            FinalRegisters = finalRegs ?? throw Missing(index, "FINA"),
            FinalRegisterMask = finalMask,
            FinalRam = finalRam!,
            Exception = exception,
            Hash = hash ?? throw Missing(index, "HASH"),
        };
    }

    private static InvalidDataException Missing(uint index, string chunk) =>
        new($"Test {index}: no '{chunk}' chunk.");

    private static uint SubChunk(ReadOnlySpan<byte> span, int pos, out ReadOnlySpan<byte> body, out int next)
    {
        if (pos + ChunkHeaderSize > span.Length) throw new InvalidDataException("Truncated MOO sub-chunk header.");
        uint id = BinaryPrimitives.ReadUInt32LittleEndian(span[pos..]);
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(span[(pos + 4)..]);
        int start = pos + ChunkHeaderSize;
        if (length > (uint)(span.Length - start))
            throw new InvalidDataException($"MOO sub-chunk '{MooChunkIds.Text(id)}' overruns its parent.");
        body = span.Slice(start, (int)length);
        next = start + (int)length;
        return id;
    }

    /// <summary>NAME and BYTS payloads: u32 n + n bytes.</summary>
    private static ReadOnlySpan<byte> CountedBytes(ReadOnlySpan<byte> body)
    {
        uint n = BinaryPrimitives.ReadUInt32LittleEndian(body);
        if (n > (uint)(body.Length - 4)) throw new InvalidDataException("Counted byte string overruns its chunk.");
        return body.Slice(4, (int)n);
    }

    /// <summary>INIT/FINA payload: REGS and RAM sub-chunks. <paramref name="baseline"/> supplies
    /// registers absent from the REGS mask (README: in FINA an absent register is unchanged).</summary>
    private static (ushort Mask, RegisterSet Registers, RamByte[] Ram) ParseState(ReadOnlySpan<byte> state, RegisterSet? baseline)
    {
        var regs = baseline?.Clone() ?? new RegisterSet();
        ushort mask = 0;
        RamByte[] ram = [];
        int pos = 0;
        while (pos < state.Length)
        {
            uint id = SubChunk(state, pos, out var body, out int next);
            if (id == MooChunkIds.Registers)
            {
                mask = BinaryPrimitives.ReadUInt16LittleEndian(body);
                int at = 2;
                for (int bit = 0; bit < RegisterSet.Count; bit++)
                {
                    if ((mask >> bit & 1) == 0) continue;
                    regs[bit] = BinaryPrimitives.ReadUInt16LittleEndian(body[at..]);
                    at += 2;
                }
            }
            else if (id == MooChunkIds.Ram)
            {
                uint n = BinaryPrimitives.ReadUInt32LittleEndian(body);
                if (n > (uint)((body.Length - 4) / RamEntrySize)) throw new InvalidDataException("RAM chunk overruns.");
                ram = new RamByte[n];
                for (int i = 0; i < ram.Length; i++)
                {
                    var entry = body.Slice(4 + i * RamEntrySize, RamEntrySize);
                    ram[i] = new RamByte(BinaryPrimitives.ReadUInt32LittleEndian(entry), entry[4]);
                }
            }
            pos = next;
        }
        return (mask, regs, ram);
    }
}
