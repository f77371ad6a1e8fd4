using JitVirt.Cpu.Memory;

namespace JitVirt.Mmu.Walker;

// The walk: mode dispatch, the steps shared by every mode, and the final verdict.
public sealed partial class GuestPageWalker
{
    const ulong Page4K = 1ul << 12;

    /// <summary>
    /// Translates <paramref name="linear"/> for an access of <paramref name="kind"/> at user
    /// (<paramref name="user"/>) or supervisor privilege under <paramref name="context"/>. On
    /// success sets the accessed/dirty flags in <paramref name="memory"/> (SDM vol.3 §5.8); on a
    /// fault writes nothing and returns the #PF error code (SDM vol.3 §5.7). Allocates nothing.
    /// </summary>
    public static WalkResult Walk(PhysicalMemory memory, in PagingContext context, ulong linear, AccessKind kind, bool user)
    {
        WalkPath path = default;
        switch (context.Mode)
        {
            case PagingMode.ThirtyTwoBit: WalkThirtyTwoBit(memory, in context, (uint)linear, ref path); break;
            case PagingMode.Pae: WalkPae(memory, in context, (uint)linear, ref path); break;
            case PagingMode.FourLevel: WalkFourLevel(memory, in context, linear, ref path); break;
            default: return WalkResult.Unpaged(linear & 0xFFFF_FFFF);
        }
        return Conclude(memory, in context, ref path, linear, kind, user);
    }

    static WalkResult Conclude(PhysicalMemory memory, in PagingContext context, ref WalkPath path, ulong linear, AccessKind kind, bool user)
    {
        PageFaultErrorCode access = AccessBits(in context, kind, user);
        if (path.Status == WalkStatus.NotPresent) return WalkResult.Fault(access, in path);
        if (path.Status == WalkStatus.ReservedBit)
            return WalkResult.Fault(access | PageFaultErrorCode.Present | PageFaultErrorCode.ReservedBit, in path);
        if (!AccessRights.Allow(path.Rights, kind, user, context.WriteProtect))
            return WalkResult.Fault(access | PageFaultErrorCode.Present, in path);
        AccessedDirtyFlags.Set(memory, ref path, kind == AccessKind.Write);
        return WalkResult.Success(path.PageBase | (linear & (path.PageSize - 1)), in path);
    }

    /// <summary>The error-code bits that describe the access itself: W/R, U/S and I/D (SDM vol.3 §5.7, Figure 5-12).</summary>
    static PageFaultErrorCode AccessBits(in PagingContext context, AccessKind kind, bool user)
    {
        var bits = PageFaultErrorCode.None;
        if (kind == AccessKind.Write) bits |= PageFaultErrorCode.Write;
        if (user) bits |= PageFaultErrorCode.User;
        // I/D only when CR4.PAE = 1 and IA32_EFER.NXE = 1 (CR4.SMEP does not exist here).
        if (kind == AccessKind.Execute && context.ExecuteDisableEnabled) bits |= PageFaultErrorCode.InstructionFetch;
        return bits;
    }

    /// <summary>Reads and records one entry; false (walk over) when its P flag is 0.</summary>
    static bool ReadPresent(PhysicalMemory memory, ref WalkPath path, ulong entryAddress, out ulong entry)
    {
        entry = memory.Read(entryAddress, path.EntrySize);
        path.Record(entryAddress, entry);
        if ((entry & PageTableEntry.Present) != 0) return true;
        path.Status = WalkStatus.NotPresent;
        return false;
    }

    /// <summary>False (walk over) when the present entry sets any of <paramref name="reserved"/>.</summary>
    static bool HasNoReservedBits(ref WalkPath path, ulong entry, ulong reserved)
    {
        if ((entry & reserved) == 0) return true;
        path.Status = WalkStatus.ReservedBit;
        return false;
    }
}
