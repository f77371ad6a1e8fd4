using Iced.Intel;

namespace JitVirt.Cpu;

public sealed partial class Cpu
{
    /// <summary>Instructions that decoded but that JitVirt does not implement, by mnemonic: each raised #UD in the guest.</summary>
    public readonly Dictionary<Mnemonic, long> UnimplementedInstructions = new();

    public void CountUnimplemented(Mnemonic mnemonic)
    {
        UnimplementedInstructions.TryGetValue(mnemonic, out long n);
        UnimplementedInstructions[mnemonic] = n + 1;
    }
}
