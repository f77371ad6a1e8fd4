using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace JitVirt.Cpu.Memory;

/// <summary>
/// Guest-physical address space: one host allocation for RAM (from physical 0), optional
/// read-only ROM windows, and everything else forwarded to <see cref="Mmio"/>.
/// Tracks which 4 KiB frames hold decoded code so that a write to one invalidates it
/// (self-modifying code, DMA), and raises <see cref="CodePageWritten"/> for it; and which frames
/// hold guest page tables the shadow MMU write-protects (<see cref="PageTableFrameWritten"/>).
/// </summary>
public sealed unsafe class PhysicalMemory : IDisposable
{
    public const int PageShift = 12;
    public const ulong PageSize = 1ul << PageShift;

    readonly byte* _ram;
    readonly byte[] _codeFrames; // per frame: FrameWatch bits (decoded code, guest page table)
    readonly List<RomWindow> _roms = new();

    public ulong RamSize { get; }
    public IPhysicalMmio Mmio { get; set; } = OpenBusMmio.Instance;

    /// <summary>Raised with the frame number when a frame that holds decoded code is written.</summary>
    public event Action<ulong>? CodePageWritten;

    /// <summary>
    /// Raised with the guest-physical address and size of a write to a frame marked with
    /// <see cref="WatchPageTableFrame"/>, before the bytes change (like KVM's kvm_mmu_pre_write).
    /// The frame stays watched until <see cref="UnwatchPageTableFrame"/>.
    /// </summary>
    public event Action<ulong, int>? PageTableFrameWritten;

    /// <summary>Bits of the per-frame watch byte.</summary>
    [Flags]
    enum FrameWatch : byte { Code = 1, PageTable = 2 }

    public PhysicalMemory(ulong ramSize)
    {
        if (ramSize == 0 || (ramSize & (PageSize - 1)) != 0) throw new ArgumentException("RAM size must be a non-zero multiple of 4 KiB", nameof(ramSize));
        RamSize = ramSize;
        _ram = (byte*)NativeMemory.AlignedAlloc((nuint)ramSize, 4096);
        NativeMemory.Clear(_ram, (nuint)ramSize);
        _codeFrames = new byte[ramSize >> PageShift];
    }

    public byte* RamPointer => _ram;

    /// <summary>True when [address, address + size) lies inside RAM (overflow-safe: guest addresses can be near 2^64).</summary>
    bool InRam(ulong address, ulong size) => address < RamSize && size <= RamSize - address;

    public Span<byte> RamSpan(ulong address, int length)
    {
        if (!InRam(address, (ulong)length)) throw new ArgumentOutOfRangeException(nameof(address));
        return new Span<byte>(_ram + address, length);
    }

    /// <summary>Maps a read-only image (BIOS, option ROM) at <paramref name="address"/>; reads there return it, writes are dropped.</summary>
    public void MapRom(ulong address, byte[] image) => _roms.Add(new RomWindow(address, image));

    public bool IsRam(ulong address) => address < RamSize && !InRom(address);

    bool InRom(ulong address)
    {
        foreach (var r in _roms) if (address - r.Address < (ulong)r.Image.Length) return true;
        return false;
    }

    /// <summary>
    /// Host pointer to the start of a RAM frame for the TLB fast path, or null when the frame is
    /// not plain RAM (ROM, MMIO, beyond RAM).
    /// </summary>
    public byte* FramePointer(ulong frameAddress)
    {
        if (frameAddress >= RamSize || (_roms.Count != 0 && InRom(frameAddress))) return null;
        return _ram + frameAddress;
    }

    public bool IsCodeFrame(ulong frameNumber) => frameNumber < (ulong)_codeFrames.Length && (_codeFrames[frameNumber] & (byte)FrameWatch.Code) != 0;

    /// <summary>Marks a frame as holding decoded code; returns true when it was not marked before.</summary>
    public bool MarkCodeFrame(ulong frameNumber)
    {
        if (frameNumber >= (ulong)_codeFrames.Length || (_codeFrames[frameNumber] & (byte)FrameWatch.Code) != 0) return false;
        _codeFrames[frameNumber] |= (byte)FrameWatch.Code;
        return true;
    }

    public void ClearCodeFrame(ulong frameNumber)
    {
        if (frameNumber < (ulong)_codeFrames.Length) _codeFrames[frameNumber] &= unchecked((byte)~FrameWatch.Code);
    }

    /// <summary>True when writes to the frame must go through <see cref="Write"/> (it holds decoded code or a watched page table).</summary>
    public bool IsWatchedFrame(ulong frameNumber) => frameNumber < (ulong)_codeFrames.Length && _codeFrames[frameNumber] != 0;

    public bool IsPageTableFrame(ulong frameNumber) => frameNumber < (ulong)_codeFrames.Length && (_codeFrames[frameNumber] & (byte)FrameWatch.PageTable) != 0;

    /// <summary>Write-protects a guest page-table frame for the shadow MMU; returns true when it was not watched before.</summary>
    public bool WatchPageTableFrame(ulong frameNumber)
    {
        if (frameNumber >= (ulong)_codeFrames.Length || (_codeFrames[frameNumber] & (byte)FrameWatch.PageTable) != 0) return false;
        _codeFrames[frameNumber] |= (byte)FrameWatch.PageTable;
        return true;
    }

    public void UnwatchPageTableFrame(ulong frameNumber)
    {
        if (frameNumber < (ulong)_codeFrames.Length) _codeFrames[frameNumber] &= unchecked((byte)~FrameWatch.PageTable);
    }

    // ---- slow-path accessors (any address, any alignment, not crossing a frame) ----

    public ulong Read(ulong address, int size)
    {
        if (InRam(address, (ulong)size) && (_roms.Count == 0 || !InRom(address)))
        {
            byte* p = _ram + address;
            return size switch { 1 => *p, 2 => Unsafe.ReadUnaligned<ushort>(p), 4 => Unsafe.ReadUnaligned<uint>(p), _ => Unsafe.ReadUnaligned<ulong>(p) };
        }
        foreach (var r in _roms)
        {
            ulong off = address - r.Address;
            if (off < (ulong)r.Image.Length)
            {
                ulong v = 0;
                for (int i = 0; i < size; i++) v |= (off + (ulong)i < (ulong)r.Image.Length ? r.Image[off + (ulong)i] : 0xFFul) << (8 * i);
                return v;
            }
        }
        return Mmio.Read(address, size);
    }

    public void Write(ulong address, int size, ulong value)
    {
        if (InRam(address, (ulong)size) && (_roms.Count == 0 || !InRom(address)))
        {
            ulong frame = address >> PageShift;
            if (_codeFrames[frame] != 0) NotifyWatchedWrite(frame, address, size);
            byte* p = _ram + address;
            switch (size)
            {
                case 1: *p = (byte)value; break;
                case 2: Unsafe.WriteUnaligned(p, (ushort)value); break;
                case 4: Unsafe.WriteUnaligned(p, (uint)value); break;
                default: Unsafe.WriteUnaligned(p, value); break;
            }
            return;
        }
        if (InRom(address)) return;
        Mmio.Write(address, size, value);
    }

    public byte ReadByte(ulong address) => (byte)Read(address, 1);
    public void WriteByte(ulong address, byte value) => Write(address, 1, value);

    /// <summary>Copies host bytes into guest-physical memory (loaders, DMA). Invalidates code on the frames written.</summary>
    public void WriteBytes(ulong address, ReadOnlySpan<byte> bytes)
    {
        for (int i = 0; i < bytes.Length; i++)
        {
            ulong a = address + (ulong)i;
            if (a < RamSize && ((a & (PageSize - 1)) == 0 || i == 0))
            {
                // Bulk copy up to the end of this frame.
                int chunk = (int)Math.Min((ulong)(bytes.Length - i), PageSize - (a & (PageSize - 1)));
                if (InRam(a, (ulong)chunk) && !InRom(a))
                {
                    ulong frame = a >> PageShift;
                    if (_codeFrames[frame] != 0) NotifyWatchedWrite(frame, a, chunk);
                    bytes.Slice(i, chunk).CopyTo(new Span<byte>(_ram + a, chunk));
                    i += chunk - 1;
                    continue;
                }
            }
            Write(a, 1, bytes[i]);
        }
    }

    public void ReadBytes(ulong address, Span<byte> destination)
    {
        if (InRam(address, (ulong)destination.Length) && _roms.Count == 0)
        {
            new ReadOnlySpan<byte>(_ram + address, destination.Length).CopyTo(destination);
            return;
        }
        for (int i = 0; i < destination.Length; i++) destination[i] = (byte)Read(address + (ulong)i, 1);
    }

    void NotifyWatchedWrite(ulong frame, ulong address, int size)
    {
        byte watch = _codeFrames[frame];
        if ((watch & (byte)FrameWatch.PageTable) != 0) PageTableFrameWritten?.Invoke(address, size);
        if ((watch & (byte)FrameWatch.Code) != 0)
        {
            _codeFrames[frame] &= unchecked((byte)~FrameWatch.Code);
            CodePageWritten?.Invoke(frame);
        }
    }

    public void Dispose() => NativeMemory.AlignedFree(_ram);

    readonly record struct RomWindow(ulong Address, byte[] Image);
}
