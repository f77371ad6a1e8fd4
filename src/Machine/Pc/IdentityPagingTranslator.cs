using JitVirt.Cpu.Memory;

namespace JitVirt.Machine.Pc;

/// <summary>
/// Stand-in for <c>JitVirt.Mmu.GuestPageWalker</c> until it lands on main: with CR0.PG set every linear
/// address translates to the same physical address and nothing faults. Correct only for guests that
/// identity-map what they touch (the demo guest does); accessed/dirty bits are not written.
/// TODO(mmu-walker): replace with the direct page walker in <see cref="PcMachine"/>'s constructor.
/// </summary>
public sealed class IdentityPagingTranslator : IAddressTranslator
{
    public bool Translate(JitVirt.Cpu.Cpu cpu, ulong linear, AccessKind kind, bool user, out ulong physical, out uint pageFaultErrorCode)
    {
        physical = linear;
        pageFaultErrorCode = 0;
        return true;
    }

    public void Invalidate(JitVirt.Cpu.Cpu cpu, ulong? linearPage) { }
}
