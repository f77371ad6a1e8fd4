using JitVirt.Cpu.Memory;

namespace JitVirt.Cpu.Tests.Support;

/// <summary>Paging stays off: tests that need paging use the MMU's walker.</summary>
public sealed class UnpagedTranslator : IAddressTranslator
{
    public bool Translate(Cpu cpu, ulong linear, AccessKind kind, bool user, out ulong physical, out uint pageFaultErrorCode)
    {
        physical = linear;
        pageFaultErrorCode = 0;
        return true;
    }

    public void Invalidate(Cpu cpu, ulong? linearPage) { }
}
