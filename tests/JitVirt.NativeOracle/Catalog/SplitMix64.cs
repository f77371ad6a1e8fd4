namespace JitVirt.NativeOracle;

/// <summary>
/// SplitMix64 (Steele, Lea, Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014):
/// a tiny generator whose output is fixed by its algorithm, so a seed reproduces the same cases on every
/// .NET version (unlike <see cref="System.Random"/>).
/// </summary>
public struct SplitMix64(ulong seed)
{
    private const ulong Gamma = 0x9E37_79B9_7F4A_7C15;
    private ulong _state = seed;

    /// <summary>Next 64 random bits.</summary>
    public ulong Next()
    {
        ulong z = _state += Gamma;
        z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9;
        z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EB;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform integer in [0, <paramref name="bound"/>).</summary>
    public int Below(int bound) => (int)((Next() >> 32) * (ulong)(uint)bound >> 32);

    /// <summary>Uniform integer in [<paramref name="low"/>, <paramref name="high"/>).</summary>
    public int Between(int low, int high) => low + Below(high - low);

    /// <summary>True with probability 1/<paramref name="n"/>.</summary>
    public bool OneIn(int n) => Below(n) == 0;

    /// <summary>Mixes several values into one seed (the SplitMix64 finaliser applied to a running hash).</summary>
    public static ulong Mix(ulong a, ulong b)
    {
        var g = new SplitMix64(a ^ (b * Gamma));
        return g.Next();
    }

    /// <summary>A stable 64-bit FNV-1a hash of <paramref name="text"/> (string.GetHashCode is randomised per process).</summary>
    public static ulong Hash(string text)
    {
        ulong h = 0xCBF2_9CE4_8422_2325;
        foreach (char c in text) { h ^= c; h *= 0x0000_0100_0000_01B3; }
        return h;
    }
}
