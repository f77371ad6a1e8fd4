using JitVirt.Cpu.State;

namespace JitVirt.Cpu;

/// <summary>
/// Control-register and debug-register writes with their architectural checks and side effects
/// (SDM vol.2 "MOV—Move to/from Control Registers", "MOV—Move to/from Debug Registers"; vol.3
/// §2.5, §9.8.5, §18.2). Each Try method either commits the whole change or raises the fault and
/// commits nothing. They are public so the task switch, VM entry/exit and the front ends apply
/// the same rules.
/// </summary>
public sealed partial class Cpu
{
    /// <summary>
    /// CR8 (task-priority register, bits 3:0; SDM vol.3 §11.8.6.5). A plain field for now; the
    /// machine will route it to the local APIC's TPR (TPR[7:4] = CR8[3:0]).
    /// </summary>
    public ulong Cr8;

    /// <summary>Clears the system-family state that <see cref="Reset"/> does not know about (called from the MSR reset).</summary>
    internal void ResetSystemExtras()
    {
        Cr8 = 0;
        NmiBlocked = false;
    }

    /// <summary>
    /// MOV CR0 (SDM vol.2 MOV CRn; vol.3 §2.5, §9.8.5): bits 63:32 set → #GP(0); PG without PE,
    /// or NW without CD → #GP(0); PG set with EFER.LME and CR4.PAE clear → #GP(0); PG cleared in
    /// 64-bit mode → #GP(0). Reserved bits of 31:0 are ignored, ET reads 1. Turning PG on with LME
    /// sets EFER.LMA, turning it off clears LMA. PG/WP/PE changes flush the TLB.
    /// </summary>
    public bool TryWriteCr0(ulong value)
    {
        if ((value >> 32) != 0) { RaiseGeneralProtection(0); return false; }
        value = (value & State.Cr0.Defined) | State.Cr0.ET;
        if ((value & State.Cr0.PG) != 0 && (value & State.Cr0.PE) == 0) { RaiseGeneralProtection(0); return false; }
        if ((value & State.Cr0.NW) != 0 && (value & State.Cr0.CD) == 0) { RaiseGeneralProtection(0); return false; }
        ulong old = Cr0;
        bool pagingOn = (old & State.Cr0.PG) == 0 && (value & State.Cr0.PG) != 0;
        bool pagingOff = (old & State.Cr0.PG) != 0 && (value & State.Cr0.PG) == 0;
        if (pagingOn && (Efer & State.Efer.LME) != 0)
        {
            // Activating IA-32e mode needs PAE and must not start from a 64-bit CS (SDM vol.3 §9.8.5).
            if ((Cr4 & State.Cr4.PAE) == 0 || Segments[SegmentIndex.Cs].IsLong) { RaiseGeneralProtection(0); return false; }
        }
        if (pagingOff && Is64BitMode) { RaiseGeneralProtection(0); return false; }

        Cr0 = value;
        if (pagingOn && (Efer & State.Efer.LME) != 0) Efer |= State.Efer.LMA;
        if (pagingOff) Efer &= ~State.Efer.LMA;
        if (((old ^ value) & (State.Cr0.PG | State.Cr0.WP | State.Cr0.PE)) != 0) FlushTlb();
        UpdateMode();
        return true;
    }

    /// <summary>
    /// MOV CR3: the page-directory base. In IA-32e mode bits above MAXPHYADDR are reserved
    /// (#GP(0)); outside it only the low 32 bits are loaded. Flushes the TLB (SDM vol.3 §5.10.4.1).
    /// </summary>
    public bool TryWriteCr3(ulong value)
    {
        if (IsLongModeActive)
        {
            if ((value >> Platform.CpuidModel.PhysicalAddressBits) != 0) { RaiseGeneralProtection(0); return false; }
        }
        else
        {
            value &= 0xFFFF_FFFF;
        }
        Cr3 = value;
        FlushTlb();
        return true;
    }

    /// <summary>CR4 bits the guest may set given what CPUID advertises.</summary>
    public ulong Cr4Writable
    {
        get
        {
            ulong m = State.Cr4.TSD | State.Cr4.DE | State.Cr4.PSE | State.Cr4.PAE | State.Cr4.MCE | State.Cr4.PGE | State.Cr4.PCE;
            if (Cpuid.HasFxsr) m |= State.Cr4.OSFXSR;
            if (Cpuid.HasSse) m |= State.Cr4.OSXMMEXCPT;
            if (Cpuid.Vmx) m |= State.Cr4.VMXE;
            return m;
        }
    }

    /// <summary>
    /// MOV CR4 (SDM vol.2 MOV CRn; vol.3 §2.5): a reserved or unadvertised bit → #GP(0); clearing
    /// PAE while IA-32e mode is active → #GP(0). PGE/PSE/PAE changes flush the TLB (§5.10.4.1).
    /// VME/PVI are not advertised, so they are reserved here.
    /// </summary>
    public bool TryWriteCr4(ulong value)
    {
        if ((value & ~Cr4Writable) != 0) { RaiseGeneralProtection(0); return false; }
        if (IsLongModeActive && (value & State.Cr4.PAE) == 0) { RaiseGeneralProtection(0); return false; }
        ulong old = Cr4;
        Cr4 = value;
        if (((old ^ value) & (State.Cr4.PGE | State.Cr4.PSE | State.Cr4.PAE)) != 0) FlushTlb();
        Pending |= PendingEvent.ModeChanged;
        return true;
    }

    /// <summary>MOV CR8: bits 63:4 reserved (#GP(0)).</summary>
    public bool TryWriteCr8(ulong value)
    {
        if ((value >> 4) != 0) { RaiseGeneralProtection(0); return false; }
        Cr8 = value;
        return true;
    }

    /// <summary>
    /// Resolves DR4/DR5: with CR4.DE they are #UD, otherwise aliases of DR6/DR7 (SDM vol.3 §18.2.2).
    /// Then DR7.GD makes any debug-register access a #DB fault with DR6.BD set, GD cleared for the
    /// handler (SDM vol.3 §18.2.4). Returns -1 after raising.
    /// </summary>
    public int ResolveDebugRegisterAccess(int dr)
    {
        if (dr is 4 or 5)
        {
            if ((Cr4 & State.Cr4.DE) != 0) { RaiseInvalidOpcode(); return -1; }
            dr += 2;
        }
        if ((Dr[7] & (1ul << 13)) != 0)
        {
            Dr[6] |= 1ul << 13; // BD
            Dr[7] &= ~(1ul << 13);
            RaiseFault(ExceptionVector.Debug);
            return -1;
        }
        return dr;
    }

    /// <summary>
    /// Writes DR0–DR7 (already resolved): in 64-bit mode bits 63:32 of DR6/DR7 are reserved
    /// (#GP(0)); DR6 keeps its fixed-1 bits (0xFFFF0FF0), DR7 bit 10 reads 1 and bits 11, 12,
    /// 14, 15 read 0 (SDM vol.3 §18.2.3, §18.2.4, Figures 18-1).
    /// </summary>
    public bool TryWriteDebugRegister(int dr, ulong value)
    {
        if (!Is64BitMode) value &= 0xFFFF_FFFF;
        switch (dr)
        {
            case 6:
                if ((value >> 32) != 0) { RaiseGeneralProtection(0); return false; }
                Dr[6] = (value & 0xE00F) | 0xFFFF_0FF0;
                return true;
            case 7:
                if ((value >> 32) != 0) { RaiseGeneralProtection(0); return false; }
                Dr[7] = (value & ~0xD800ul) | 0x400;
                return true;
            default:
                Dr[dr] = value;
                return true;
        }
    }
}
