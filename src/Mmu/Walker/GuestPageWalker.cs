using JitVirt.Cpu.Memory;
using CpuCore = JitVirt.Cpu.Cpu;

namespace JitVirt.Mmu.Walker;

/// <summary>
/// Direct translator: walks the guest's paging structures in guest-physical memory on every
/// software-TLB miss, setting accessed/dirty flags as the processor does (SDM vol.3 ch.5). It
/// keeps no cache of its own, so invalidation has nothing to drop. The walk itself
/// (<see cref="Walk"/>) depends only on memory and a <see cref="PagingContext"/>, for reuse by
/// the shadow MMU.
/// </summary>
/// <remarks>
/// PAE paging reads the PDPTEs from the PDPT at walk time, since the CPU does not hold PDPTE
/// registers (yet): a guest that edits its PDPT without reloading CR3 sees the edit at once,
/// and a present PDPTE with a reserved bit is reported as #PF with RSVD instead of the #GP of the
/// CR3 load (SDM vol.3 §5.4.1). Callers that do hold them pass
/// <see cref="PagingContext.WithPdpteRegisters"/>.
/// </remarks>
public sealed partial class GuestPageWalker : IAddressTranslator
{
    public GuestPageWalker(int maxPhysicalAddress = PagingContext.DefaultMaxPhysicalAddress)
    {
        // Validated by the context constructor; checked here so a bad model fails at construction.
        _ = new PagingContext(0, 0, 0, 0, maxPhysicalAddress);
        MaxPhysicalAddress = maxPhysicalAddress;
    }

    /// <summary>MAXPHYADDR the reserved-bit checks use (CPUID 80000008H:EAX[7:0]).</summary>
    public int MaxPhysicalAddress { get; }

    /// <summary>Statistics: page walks made (TLB misses with paging on).</summary>
    public long Walks { get; private set; }

    /// <summary>Statistics: invalidations received (CR3 loads, INVLPG, mode changes).</summary>
    public long Invalidations { get; private set; }

    public bool Translate(CpuCore cpu, ulong linear, AccessKind kind, bool user, out ulong physical, out uint pageFaultErrorCode)
    {
        Walks++;
        var context = new PagingContext(cpu.Cr0, cpu.Cr3, cpu.Cr4, cpu.Efer, MaxPhysicalAddress);
        WalkResult result = Walk(cpu.Physical, in context, linear, kind, user);
        physical = result.PhysicalAddress;
        pageFaultErrorCode = (uint)result.ErrorCode;
        return result.Succeeded;
    }

    /// <summary>No cached walks to drop; only counted.</summary>
    public void Invalidate(CpuCore cpu, ulong? linearPage) => Invalidations++;
}
