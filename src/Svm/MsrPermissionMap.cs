using System.Runtime.CompilerServices;

namespace JitVirt.Svm;

/// <summary>
/// The MSR permission map (AMD APM vol.2 §15.11, Table 15-6): 8 KiB, two bits per MSR (even bit =
/// RDMSR, odd bit = WRMSR, 1 = intercept) for three ranges of 8192 MSRs each:
/// bytes 0x000–0x7FF cover 0000_0000–0000_1FFF, 0x800–0xFFF cover C000_0000–C000_1FFF,
/// 0x1000–0x17FF cover C001_0000–C001_1FFF; 0x1800–0x1FFF are reserved. An MSR outside the
/// ranges always exits when MSR_PROT is set.
/// </summary>
public sealed class MsrPermissionMap
{
    /// <summary>Two 4 KiB pages.</summary>
    public const int Size = 8 * 1024;

    /// <summary>The first MSR of each range and the byte where its bits begin.</summary>
    public const uint Range0Base = 0x0000_0000, Range1Base = 0xC000_0000, Range2Base = 0xC001_0000;
    public const int MsrsPerRange = 0x2000;
    public const int BytesPerRange = MsrsPerRange * 2 / 8; // 2048

    readonly byte[] _bits = new byte[Size];

    public event Action? Changed;

    public ReadOnlySpan<byte> Bytes => _bits;

    /// <summary>
    /// The index of the read bit of <paramref name="msr"/> in the map (the write bit is the next
    /// one), or −1 when the MSR is outside the three ranges.
    /// </summary>
    public static int BitOf(uint msr)
    {
        int range;
        uint offset;
        if ((offset = msr - Range0Base) < MsrsPerRange) range = 0;
        else if ((offset = msr - Range1Base) < MsrsPerRange) range = 1;
        else if ((offset = msr - Range2Base) < MsrsPerRange) range = 2;
        else return -1;
        return range * BytesPerRange * 8 + (int)offset * 2;
    }

    /// <summary>True when RDMSR (<paramref name="write"/> false) or WRMSR of <paramref name="msr"/> must exit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Intercepts(uint msr, bool write)
    {
        int bit = BitOf(msr);
        if (bit < 0) return true;
        if (write) bit++;
        return (_bits[bit >> 3] & (1 << (bit & 7))) != 0;
    }

    /// <summary>Sets the read and write intercepts of one MSR inside the ranges.</summary>
    public void Set(uint msr, bool interceptRead, bool interceptWrite)
    {
        int bit = BitOf(msr);
        if (bit < 0) throw new ArgumentOutOfRangeException(nameof(msr), "outside the MSRPM ranges: always intercepted");
        SetBit(bit, interceptRead);
        SetBit(bit + 1, interceptWrite);
        Changed?.Invoke();
    }

    void SetBit(int bit, bool value)
    {
        if (value) _bits[bit >> 3] |= (byte)(1 << (bit & 7));
        else _bits[bit >> 3] &= (byte)~(1 << (bit & 7));
    }

    public void InterceptAll()
    {
        Array.Fill(_bits, (byte)0xFF);
        Changed?.Invoke();
    }
}
