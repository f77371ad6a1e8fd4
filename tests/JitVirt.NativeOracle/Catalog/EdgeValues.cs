namespace JitVirt.NativeOracle;

/// <summary>
/// Operand values biased towards the boundaries where arithmetic goes wrong: 0, 1, all ones, the sign
/// bit and its neighbours, BCD-ish nibbles, and small counts around the operand widths.
/// </summary>
public static class EdgeValues
{
    private static readonly int[] Widths = [8, 16, 32, 64];

    /// <summary>Shift/rotate counts worth hitting: 0, 1, around each operand width and the 5/6-bit masks.</summary>
    private static readonly byte[] Counts = [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 47, 63, 64, 65, 127, 128, 255];

    /// <summary>A random value whose low <paramref name="width"/> bits are often an edge case for that
    /// width; the bits above are random, zero, or a sign extension.</summary>
    public static ulong Next(ref SplitMix64 random, int width)
    {
        if (random.OneIn(4)) width = Widths[random.Below(4)];
        ulong mask = width == 64 ? ulong.MaxValue : (1UL << width) - 1;
        ulong sign = 1UL << (width - 1);
        ulong low;
        switch (random.Below(16))
        {
            case 0: low = 0; break;
            case 1: low = 1; break;
            case 2: low = mask; break;                    // all ones (-1)
            case 3: low = sign; break;                    // most negative
            case 4: low = sign - 1; break;                // most positive
            case 5: low = sign + 1; break;
            case 6: low = mask - 1; break;                // -2
            case 7: low = (ulong)random.Below(128); break; // small
            case 8: low = (0UL - (ulong)random.Below(128) - 1) & mask; break; // small negative
            case 9: low = 0x99 * (mask / 0xFF) & mask; break; // packed-BCD nines / alternating patterns
            case 10: low = random.Next() & 0x0F0F_0F0F_0F0F_0F0F & mask; break; // unpacked nibbles (BCD)
            case 11: low = 1UL << random.Below(width); break; // single bit
            default: low = random.Next() & mask; break;
        }
        if (width == 64) return low;
        switch (random.Below(3))
        {
            case 0: return low;                                              // zero-extended
            case 1: return (low & sign) != 0 ? low | ~mask : low;          // sign-extended
            default: return (random.Next() & ~mask) | low;                 // garbage above
        }
    }

    /// <summary>A shift/rotate count: usually one of the interesting ones, sometimes any byte.</summary>
    public static byte Count(ref SplitMix64 random) =>
        random.OneIn(4) ? (byte)random.Next() : Counts[random.Below(Counts.Length)];
}
