using System.Numerics;

namespace JitVirt.Virtualization;

/// <summary>
/// The vectors the VMM has accepted for the guest and not yet injected: 2.6.20's
/// <c>vcpu->irq_pending[]</c> bitmap with its <c>irq_summary</c> word, shared by SVM and VMX. The
/// highest vector is injected first, as the 8259A/local APIC priority order would.
/// </summary>
public sealed class PendingInterrupts
{
    readonly ulong[] _words = new ulong[4];
    uint _summary; // bit w set when _words[w] != 0

    public bool Any => _summary != 0;

    public void Set(byte vector)
    {
        _words[vector >> 6] |= 1ul << (vector & 63);
        _summary |= 1u << (vector >> 6);
    }

    public bool IsSet(byte vector) => (_words[vector >> 6] & (1ul << (vector & 63))) != 0;

    /// <summary>Removes and returns the highest pending vector; call only when <see cref="Any"/>.</summary>
    public byte TakeHighest()
    {
        int w = 31 - BitOperations.LeadingZeroCount(_summary);
        int bit = 63 - BitOperations.LeadingZeroCount(_words[w]);
        _words[w] &= ~(1ul << bit);
        if (_words[w] == 0) _summary &= ~(1u << w);
        return (byte)(w * 64 + bit);
    }

    public void Clear() { Array.Clear(_words); _summary = 0; }
}
