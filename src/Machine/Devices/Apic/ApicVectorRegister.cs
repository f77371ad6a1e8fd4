namespace JitVirt.Machine.Devices.Apic;

/// <summary>
/// A 256-bit vector bitmap (ISR, TMR or IRR), exposed to software as eight 32-bit registers where
/// register n holds vectors 32n..32n+31 (SDM vol.3 §11.8.4 Figure 11-20).
/// </summary>
public sealed class ApicVectorRegister
{
    public const int WordCount = 8;

    private readonly uint[] _words = new uint[WordCount];

    public uint ReadWord(int index) => _words[index];

    public void WriteWord(int index, uint value) => _words[index] = value;

    public bool IsSet(int vector) => (_words[vector >> 5] & (1u << (vector & 31))) != 0;

    public void Set(int vector) => _words[vector >> 5] |= 1u << (vector & 31);

    public void Clear(int vector) => _words[vector >> 5] &= ~(1u << (vector & 31));

    public void Assign(int vector, bool value)
    {
        if (value) Set(vector); else Clear(vector);
    }

    public void ClearAll() => Array.Clear(_words);

    /// <summary>Highest set vector, or -1 when the bitmap is empty.</summary>
    public int Highest()
    {
        for (int i = WordCount - 1; i >= 0; i--)
        {
            uint w = _words[i];
            if (w != 0) return (i << 5) + 31 - System.Numerics.BitOperations.LeadingZeroCount(w);
        }
        return -1;
    }
}
