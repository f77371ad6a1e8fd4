using JitVirt.Cpu.State;

namespace JitVirt.Mmu.Walker;

/// <summary>The paging modes (SDM vol.3 §5.1.1, Table 5-1). 5-level paging is not implemented (CR4.LA57 does not exist here).</summary>
public enum PagingMode : byte
{
    /// <summary>CR0.PG = 0: linear addresses are physical addresses.</summary>
    None,

    /// <summary>CR0.PG = 1, CR4.PAE = 0: 32-bit paging (SDM vol.3 §5.3).</summary>
    ThirtyTwoBit,

    /// <summary>CR0.PG = 1, CR4.PAE = 1, IA32_EFER.LME = 0: PAE paging (SDM vol.3 §5.4).</summary>
    Pae,

    /// <summary>CR0.PG = 1, CR4.PAE = 1, IA32_EFER.LME = 1: 4-level paging (SDM vol.3 §5.5).</summary>
    FourLevel,
}

/// <summary>Selects the paging mode from the control registers.</summary>
public static class PagingModes
{
    /// <summary>Table 5-1 of SDM vol.3 §5.1.1. (LME = 1 with PG = 1 and PAE = 0 cannot be reached: the MOV to CR0 is #GP.)</summary>
    public static PagingMode Of(ulong cr0, ulong cr4, ulong efer)
    {
        if ((cr0 & Cr0.PG) == 0) return PagingMode.None;
        if ((cr4 & Cr4.PAE) == 0) return PagingMode.ThirtyTwoBit;
        return (efer & Efer.LME) == 0 ? PagingMode.Pae : PagingMode.FourLevel;
    }
}
