using JitVirt.Cpu.Memory;

namespace JitVirt.Mmu;

/// <summary>
/// Maps every linear address to the same physical address with full permissions. For bare-metal
/// setups (benchmarks, unit tests) that need CR0.PG set — IA-32e mode requires it — without
/// building page tables. Never used for a real guest.
/// </summary>
public sealed class IdentityTranslator : IAddressTranslator
{
    public static readonly IdentityTranslator Instance = new();

    public bool Translate(JitVirt.Cpu.Cpu cpu, ulong linear, AccessKind kind, bool user, out ulong physical, out uint pageFaultErrorCode)
    {
        physical = linear;
        pageFaultErrorCode = 0;
        return true;
    }

    public void Invalidate(JitVirt.Cpu.Cpu cpu, ulong? linearPage) { }
}
