using JitVirt.Cpu.Memory;

namespace JitVirt.Cpu.Tests.Support;

/// <summary>The oracle executors' page table, a dictionary (shared by the CPU and IL tests): user pages, read-only or writable; anything else is not present.</summary>
public sealed class OraclePageTranslator : IAddressTranslator
{
    readonly Dictionary<ulong, (ulong Frame, bool Writable)> _pages = new();

    public void Map(ulong linearPage, ulong physicalPage, bool writable) => _pages[linearPage & ~0xFFFul] = (physicalPage, writable);

    public bool IsMapped(ulong linear) => _pages.ContainsKey(linear & ~0xFFFul);

    public ulong PhysicalOf(ulong linear) => _pages[linear & ~0xFFFul].Frame | (linear & 0xFFF);

    public bool Translate(Cpu cpu, ulong linear, AccessKind kind, bool user, out ulong physical, out uint pageFaultErrorCode)
    {
        // Error code bits: SDM vol.3 §5.7 Figure 5-12 (P=1, W/R=2, U/S=4, I/D=16 with NXE).
        uint access = (kind == AccessKind.Write ? 2u : 0u) | (user ? 4u : 0u) | (kind == AccessKind.Execute ? 16u : 0u);
        if (_pages.TryGetValue(linear & ~0xFFFul, out var page))
        {
            physical = page.Frame | (linear & 0xFFF);
            if (kind != AccessKind.Write || page.Writable) { pageFaultErrorCode = 0; return true; }
            pageFaultErrorCode = access | 1;
            return false;
        }
        physical = 0;
        pageFaultErrorCode = access;
        return false;
    }

    public void Invalidate(Cpu cpu, ulong? linearPage) { }
}
