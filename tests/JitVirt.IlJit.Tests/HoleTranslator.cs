using JitVirt.Cpu.Memory;

namespace JitVirt.IlJit.Tests;

/// <summary>Identity translation except for one linear range, which is not present (#PF, SDM vol.3 §5.7).</summary>
public sealed class HoleTranslator(ulong holeStart, ulong holeEnd) : IAddressTranslator
{
    public bool Translate(JitVirt.Cpu.Cpu cpu, ulong linear, AccessKind kind, bool user, out ulong physical, out uint pageFaultErrorCode)
    {
        physical = linear;
        pageFaultErrorCode = kind == AccessKind.Write ? 2u : 0u; // P=0, W/R (Figure 5-12)
        return linear < holeStart || linear >= holeEnd;
    }

    public void Invalidate(JitVirt.Cpu.Cpu cpu, ulong? linearPage) { }
}
