using Iced.Intel;

namespace JitVirt.Frontend;

/// <summary>
/// Forms basic blocks from guest code bytes with Iced. A block ends after an instruction that
/// changes control flow (Iced's <see cref="FlowControl"/> other than Next), at the end of the
/// 4 KiB page it started on, or after <see cref="MaxInstructions"/>. An instruction that crosses
/// the page end is decoded from both pages and ends the block.
/// </summary>
public sealed class BlockDecoder
{
    public const int MaxInstructions = 64;
    const int PageSize = 4096;
    const int MaxInstructionLength = 15; // SDM vol.2 §2.3.11

    readonly PageCodeReader _reader = new();
    readonly Decoder _decoder16, _decoder32, _decoder64;
    readonly List<Instruction> _scratch = new(MaxInstructions);

    public BlockDecoder()
    {
        _decoder16 = Decoder.Create(16, _reader, DecoderOptions.None);
        _decoder32 = Decoder.Create(32, _reader, DecoderOptions.None);
        _decoder64 = Decoder.Create(64, _reader, DecoderOptions.None);
    }

    /// <summary>
    /// Decodes a block. <paramref name="firstPage"/> holds the bytes from the block's start to the
    /// end of its page; <paramref name="nextPage"/> is asked for lazily, only when an instruction
    /// crosses into the following page (it returns null when that page cannot be fetched: the
    /// crossing instruction is then left out, and if it is the first one the block is empty so
    /// the executor can raise the fetch fault itself).
    /// </summary>
    public DecodedBlock Decode(ReadOnlySpan<byte> firstPage, Func<byte[]?> nextPage, ulong physicalAddress, CodeMode mode, ulong rip)
    {
        var decoder = mode switch { CodeMode.Bits16 => _decoder16, CodeMode.Bits32 => _decoder32, _ => _decoder64 };
        int inPage = PageSize - (int)(physicalAddress & (PageSize - 1));
        _scratch.Clear();
        ulong lastPage = physicalAddress >> 12;
        int offset = 0;
        ulong ip = rip;
        Span<byte> joined = stackalloc byte[MaxInstructionLength];
        while (_scratch.Count < MaxInstructions && offset < inPage)
        {
            int available = inPage - offset;
            Instruction insn;
            if (available >= MaxInstructionLength)
            {
                insn = DecodeAt(decoder, firstPage.Slice(offset, MaxInstructionLength), ip, out _);
            }
            else
            {
                // Could cross into the next page: try within this page first.
                insn = DecodeAt(decoder, firstPage.Slice(offset, available), ip, out bool truncated);
                if (truncated)
                {
                    var next = nextPage();
                    if (next is null) break;
                    firstPage.Slice(offset, available).CopyTo(joined);
                    next.AsSpan(0, MaxInstructionLength - available).CopyTo(joined[available..]);
                    insn = DecodeAt(decoder, joined, ip, out _);
                    if (insn.Length > available) lastPage = (physicalAddress >> 12) + 1;
                }
            }
            _scratch.Add(insn);
            offset += insn.Length;
            ip += (ulong)insn.Length;
            if (insn.FlowControl != FlowControl.Next || insn.IsInvalid || lastPage != physicalAddress >> 12) break;
        }
        return new DecodedBlock(physicalAddress, mode, rip, _scratch.ToArray(), lastPage);
    }

    /// <summary>Decodes one instruction; <paramref name="truncated"/> says the bytes ran out before it ended.</summary>
    Instruction DecodeAt(Decoder decoder, ReadOnlySpan<byte> bytes, ulong ip, out bool truncated)
    {
        _reader.Reset(bytes);
        decoder.IP = ip;
        decoder.Decode(out var insn);
        truncated = insn.IsInvalid && decoder.LastError == DecoderError.NoMoreBytes;
        return insn;
    }

    /// <summary>A code reader over a span that is re-pointed for every instruction.</summary>
    sealed class PageCodeReader : CodeReader
    {
        byte[] _buffer = new byte[MaxInstructionLength];
        int _length, _position;

        public void Reset(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(_buffer);
            _length = bytes.Length;
            _position = 0;
        }

        public override int ReadByte() => _position < _length ? _buffer[_position++] : -1;
    }
}
