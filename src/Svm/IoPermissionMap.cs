using System.Runtime.CompilerServices;

namespace JitVirt.Svm;

/// <summary>
/// The I/O permission map (AMD APM vol.2 §15.10.1): 12 KiB, one bit per port, 1 = intercept. An
/// access of <c>size</c> bytes at <c>port</c> tests the <c>size</c> consecutive bits starting at
/// bit <c>port</c>; the third 4 KiB page exists because an access at 0xFFFE or 0xFFFF reaches bits
/// 0x10000–0x10002 (there is no wrap to port 0). Linux 2.6.20 filled its map with ones: every port
/// intercepted.
/// </summary>
public sealed class IoPermissionMap
{
    /// <summary>Three 4 KiB pages (APM vol.2 §15.10.1).</summary>
    public const int Size = 12 * 1024;

    readonly byte[] _bits = new byte[Size];

    /// <summary>Raised after a bit changed (the front end drops code compiled for the old map).</summary>
    public event Action? Changed;

    public ReadOnlySpan<byte> Bytes => _bits;

    /// <summary>True when an access of <paramref name="size"/> bytes (1, 2 or 4) at <paramref name="port"/> must exit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Intercepts(ushort port, int size)
    {
        // The processor reads two bytes at port/8 and tests ((1 << size) − 1) << (port & 7).
        int index = port >> 3;
        int word = _bits[index] | (_bits[index + 1] << 8);
        int mask = ((1 << size) - 1) << (port & 7);
        return (word & mask) != 0;
    }

    /// <summary>The bit of one port (<paramref name="bit"/> may be up to 0x17FFF: the bits past port 0xFFFF).</summary>
    public bool IsSet(int bit) => (_bits[bit >> 3] & (1 << (bit & 7))) != 0;

    public void Set(int bit, bool intercept)
    {
        byte old = _bits[bit >> 3];
        byte now = intercept ? (byte)(old | (1 << (bit & 7))) : (byte)(old & ~(1 << (bit & 7)));
        if (now == old) return;
        _bits[bit >> 3] = now;
        Changed?.Invoke();
    }

    /// <summary>Sets every bit (2.6.20's hardware_setup: memset 0xff).</summary>
    public void InterceptAll()
    {
        Array.Fill(_bits, (byte)0xFF);
        Changed?.Invoke();
    }

    public void PassAll()
    {
        Array.Clear(_bits);
        Changed?.Invoke();
    }

    /// <summary>True when no port is intercepted (a decode-time shortcut).</summary>
    public bool IsEmpty() => _bits.AsSpan().IndexOfAnyExcept((byte)0) < 0;
}
