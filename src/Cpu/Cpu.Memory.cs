using System.Runtime.CompilerServices;
using JitVirt.Cpu.Memory;
using JitVirt.Cpu.State;

namespace JitVirt.Cpu;

/// <summary>
/// Linear and segmented memory access. Every accessor either completes or records a fault and
/// returns a dummy value (check <see cref="Faulted"/>); nothing throws. Accesses that cross a
/// page boundary translate both pages before touching either, so a fault leaves memory unchanged.
/// </summary>
public sealed unsafe partial class Cpu
{
    public readonly SoftwareTlb Tlb = new();

    /// <summary>A20 gate (port 0x92 bit 1 or the i8042 output port): when false, physical bit 20 is forced to 0.</summary>
    public bool A20Enabled
    {
        get => _a20Mask == ulong.MaxValue;
        set { ulong m = value ? ulong.MaxValue : ~(1ul << 20); if (m != _a20Mask) { _a20Mask = m; FlushTlb(); } }
    }
    ulong _a20Mask = ulong.MaxValue;

    /// <summary>True when ordinary data accesses are user-mode accesses (CPL 3; SDM vol.3 §5.6).</summary>
    public bool UserAccess => Cpl == 3;

    public void FlushTlb()
    {
        Tlb.FlushAll();
        Translator?.Invalidate(this, null);
        OnTlbFlushed();
    }

    public void FlushTlbPage(ulong linear)
    {
        Tlb.FlushPage(linear);
        Translator.Invalidate(this, linear & ~0xFFFul);
        OnTlbFlushed();
    }

    // ------------------------------------------------------------------ translation

    /// <summary>Translates a linear address; on failure raises #PF (with CR2) and returns false.</summary>
    public bool TranslateLinear(ulong linear, AccessKind kind, bool user, out ulong physical)
    {
        ref var e = ref Tlb.Table(kind, user)[SoftwareTlb.IndexOf(linear)];
        ulong page = linear & ~0xFFFul;
        if ((e.Tag & ~SoftwareTlb.SlowPath) == (page | Tlb.Generation))
        {
            physical = (e.PhysicalFrame << 12) | (linear & 0xFFF);
            return true;
        }
        return TranslateAndFill(linear, kind, user, out physical);
    }

    /// <summary>Translates without raising anything or touching the TLB (used to peek at code bytes beyond a page).</summary>
    public bool TryTranslateQuietly(ulong linear, AccessKind kind, bool user, out ulong physical)
    {
        if ((Cr0 & State.Cr0.PG) == 0) { physical = linear & 0xFFFF_FFFF & _a20Mask; return true; }
        if (!Translator.Translate(this, linear, kind, user, out physical, out _)) return false;
        physical &= _a20Mask;
        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    bool TranslateAndFill(ulong linear, AccessKind kind, bool user, out ulong physical)
    {
        if ((Cr0 & State.Cr0.PG) == 0)
        {
            physical = linear & 0xFFFF_FFFF & _a20Mask;
        }
        else if (!Translator.Translate(this, linear, kind, user, out physical, out uint errorCode))
        {
            Cr2 = linear;
            RaiseFault(ExceptionVector.PageFault, errorCode);
            return false;
        }
        else
        {
            physical &= _a20Mask;
        }
        ulong frame = physical >> 12;
        byte* host = Physical.FramePointer(frame << 12);
        // Frames holding decoded code or watched page tables take the slow path on writes, so the write is seen.
        if (kind == AccessKind.Write && Physical.IsWatchedFrame(frame)) host = null;
        Tlb.Fill(kind, user, linear & ~0xFFFul, frame, host);
        return true;
    }

    // ------------------------------------------------------------------ linear access

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T ReadLinear<T>(ulong linear, bool user) where T : unmanaged
    {
        ref var e = ref Tlb.Table(AccessKind.Read, user)[SoftwareTlb.IndexOf(linear)];
        if (e.Tag == ((linear & ~0xFFFul) | Tlb.Generation) && (linear & 0xFFF) <= (ulong)(4096 - sizeof(T)))
            return Unsafe.ReadUnaligned<T>((byte*)(e.HostAddend + (nint)linear));
        return ReadLinearSlow<T>(linear, user);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteLinear<T>(ulong linear, T value, bool user) where T : unmanaged
    {
        ref var e = ref Tlb.Table(AccessKind.Write, user)[SoftwareTlb.IndexOf(linear)];
        if (e.Tag == ((linear & ~0xFFFul) | Tlb.Generation) && (linear & 0xFFF) <= (ulong)(4096 - sizeof(T)))
        {
            Unsafe.WriteUnaligned((byte*)(e.HostAddend + (nint)linear), value);
            return;
        }
        WriteLinearSlow(linear, value, user);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    T ReadLinearSlow<T>(ulong linear, bool user) where T : unmanaged
    {
        int size = sizeof(T);
        if ((linear & 0xFFF) + (ulong)size <= 4096)
        {
            if (!TranslateLinear(linear, AccessKind.Read, user, out ulong pa)) return default;
            ulong v = Physical.Read(pa, size);
            return Unsafe.As<ulong, T>(ref v);
        }
        // Page-crossing: translate both halves first (SDM vol.3 §5.7: the fault is for the first page that faults).
        ulong second = (linear + (ulong)size - 1) & ~0xFFFul;
        if (!IsLinearAddressInRange(second)) second &= 0xFFFF_FFFF;
        if (!TranslateLinear(linear, AccessKind.Read, user, out ulong pa1)) return default;
        if (!TranslateLinear(second, AccessKind.Read, user, out ulong pa2)) return default;
        ulong result = 0;
        int firstLen = (int)(4096 - (linear & 0xFFF));
        for (int i = 0; i < size; i++)
            result |= Physical.Read(i < firstLen ? pa1 + (ulong)i : pa2 + (ulong)(i - firstLen), 1) << (8 * i);
        return Unsafe.As<ulong, T>(ref result);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    void WriteLinearSlow<T>(ulong linear, T value, bool user) where T : unmanaged
    {
        int size = sizeof(T);
        ulong v = 0;
        Unsafe.As<ulong, T>(ref v) = value;
        if ((linear & 0xFFF) + (ulong)size <= 4096)
        {
            if (!TranslateLinear(linear, AccessKind.Write, user, out ulong pa)) return;
            Physical.Write(pa, size, v);
            return;
        }
        ulong second = (linear + (ulong)size - 1) & ~0xFFFul;
        if (!IsLinearAddressInRange(second)) second &= 0xFFFF_FFFF;
        if (!TranslateLinear(linear, AccessKind.Write, user, out ulong pa1)) return;
        if (!TranslateLinear(second, AccessKind.Write, user, out ulong pa2)) return;
        int firstLen = (int)(4096 - (linear & 0xFFF));
        for (int i = 0; i < size; i++)
            Physical.Write(i < firstLen ? pa1 + (ulong)i : pa2 + (ulong)(i - firstLen), 1, (v >> (8 * i)) & 0xFF);
    }

    bool IsLinearAddressInRange(ulong linear) => Is64BitMode || linear <= 0xFFFF_FFFF;

    /// <summary>
    /// Checks that <paramref name="size"/> bytes at <paramref name="linear"/> can be written, so a
    /// following read-modify-write cannot fault half way (used before committing any state).
    /// </summary>
    public bool ProbeWriteLinear(ulong linear, int size, bool user)
    {
        if (!TranslateLinear(linear, AccessKind.Write, user, out _)) return false;
        if ((linear & 0xFFF) + (ulong)size > 4096)
        {
            ulong second = (linear + (ulong)size - 1) & ~0xFFFul;
            if (!IsLinearAddressInRange(second)) second &= 0xFFFF_FFFF;
            return TranslateLinear(second, AccessKind.Write, user, out _);
        }
        return true;
    }

    // ------------------------------------------------------------------ segmentation

    /// <summary>
    /// Applies segmentation to <paramref name="offset"/> (already truncated to the address size):
    /// null/unusable segment, type and limit checks in legacy modes (SDM vol.3 §3.4.5.1, §6.3),
    /// canonical check in 64-bit mode (SDM vol.3 §3.3.7.1). On a violation raises #GP(0), or
    /// #SS(0) for SS, and returns false.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryLinear(int seg, ulong offset, int size, AccessKind kind, out ulong linear)
    {
        if (Mode == OperatingMode.Long64)
        {
            linear = seg >= SegmentIndex.Fs ? offset + Segments[seg].Base : offset;
            if (IsCanonical(linear) && IsCanonical(linear + (ulong)size - 1))
                return (Cr0 & State.Cr0.AM) == 0 || CheckAlignment(linear, size);
            RaiseSegmentFault(seg);
            return false;
        }
        return TryLinearLegacy(seg, offset, size, kind, out linear) && ((Cr0 & State.Cr0.AM) == 0 || CheckAlignment(linear, size));
    }

    /// <summary>
    /// Alignment checking (SDM vol.3 §7.15 "Interrupt 17—Alignment Check Exception"): with CR0.AM,
    /// EFLAGS.AC and CPL 3, a data reference of 2, 4 or 8 bytes not aligned to its size raises #AC(0).
    /// (Implicit supervisor accesses — descriptor tables, TSS — never reach here.)
    /// </summary>
    bool CheckAlignment(ulong linear, int size)
    {
        if (size is 2 or 4 or 8 && (linear & (ulong)(size - 1)) != 0 && (RflagsStatic & Rflags.AC) != 0 && Cpl == 3)
        {
            RaiseFault(ExceptionVector.AlignmentCheck, 0);
            return false;
        }
        return true;
    }

    bool TryLinearLegacy(int seg, ulong offset, int size, AccessKind kind, out ulong linear)
    {
        ref var s = ref Segments[seg];
        linear = (s.Base + offset) & 0xFFFF_FFFF;
        uint ar = s.AccessRights;
        if (Mode != OperatingMode.Real && Mode != OperatingMode.Virtual8086)
        {
            if ((ar & SegmentRegister.Unusable) != 0) { RaiseSegmentFault(seg); return false; }
            bool isCode = (ar & SegmentRegister.TypeCode) != 0;
            if (kind == AccessKind.Write ? isCode || (ar & SegmentRegister.TypeWritable) == 0
                                         : isCode && (ar & SegmentRegister.TypeReadable) == 0 && kind == AccessKind.Read)
            {
                RaiseSegmentFault(seg);
                return false;
            }
        }
        ulong last = offset + (ulong)size - 1;
        bool expandDown = (ar & (SegmentRegister.TypeCode | SegmentRegister.TypeExpandDown)) == SegmentRegister.TypeExpandDown;
        bool ok = expandDown
            ? offset > s.Limit && last <= ((ar & SegmentRegister.DefaultBig) != 0 ? 0xFFFF_FFFFul : 0xFFFFul)
            : last <= s.Limit;
        if (!ok) { RaiseSegmentFault(seg); return false; }
        return true;
    }

    void RaiseSegmentFault(int seg)
    {
        if (seg == SegmentIndex.Ss) RaiseStackFault(0);
        else RaiseGeneralProtection(0);
    }

    /// <summary>Canonical: bits 63:47 all equal (48-bit linear addresses, SDM vol.1 §3.3.7.1).</summary>
    public static bool IsCanonical(ulong address) => (ulong)((long)address << 16 >> 16) == address;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Read<T>(int seg, ulong offset) where T : unmanaged
    {
        if (!TryLinear(seg, offset, sizeof(T), AccessKind.Read, out ulong linear)) return default;
        return ReadLinear<T>(linear, Cpl == 3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write<T>(int seg, ulong offset, T value) where T : unmanaged
    {
        if (!TryLinear(seg, offset, sizeof(T), AccessKind.Write, out ulong linear)) return;
        WriteLinear(linear, value, Cpl == 3);
    }

    /// <summary>Segment checks plus a write probe: afterwards <see cref="ReadLinear{T}"/>/<see cref="WriteLinear{T}"/> on the result cannot fault.</summary>
    public bool TryWritableLinear(int seg, ulong offset, int size, out ulong linear)
    {
        if (!TryLinear(seg, offset, size, AccessKind.Write, out linear)) return false;
        return ProbeWriteLinear(linear, size, Cpl == 3);
    }

    // ------------------------------------------------------------------ code invalidation

    /// <summary>Raised when a frame with decoded code is written; the executor drops its blocks.</summary>
    public event Action<ulong>? CodeFrameInvalidated;

    /// <summary>Raised when the TLB was flushed (the executor drops linear-address lookups).</summary>
    public event Action? TlbFlushed;

    void OnCodePageWritten(ulong frame)
    {
        Pending |= PendingEvent.CodeInvalidated;
        CodeFrameInvalidated?.Invoke(frame);
    }

    void OnTlbFlushed() => TlbFlushed?.Invoke();

    /// <summary>Marks a frame as holding code: its write-TLB entries go to the slow path from now on.</summary>
    public void ProtectCodeFrame(ulong frame)
    {
        if (Physical.MarkCodeFrame(frame)) Tlb.FlushWritesToFrame(frame);
    }
}
