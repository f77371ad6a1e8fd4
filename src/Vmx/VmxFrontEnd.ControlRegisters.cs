using JitVirt.Cpu;
using JitVirt.Cpu.State;

namespace JitVirt.Vmx;

/// <summary>
/// handle_cr and the CR paths behind it (2.6.20's set_cr0/set_cr3/set_cr4/set_cr8 in kvm_main.c
/// with vmx_set_cr0/vmx_set_cr4). The guest's view of CR0/CR4 is the read shadow; the real value in
/// GUEST_CR0/GUEST_CR4 has the bits VMX operation fixes to 1 (PE, NE; VMXE) and, in real mode, the
/// virtual-8086 settings. EFER.LMA follows CR0.PG with EFER.LME (enter_lmode/exit_lmode).
/// </summary>
public sealed partial class VmxFrontEnd
{
    /// <summary>CR0 bits the VMM owns: 2.6.20's KVM_GUEST_CR0_MASK (PG PE WP NE NW CD).</summary>
    public const ulong Cr0HostOwned = Cr0.PG | Cr0.PE | Cr0.WP | Cr0.NE | Cr0.NW | Cr0.CD;
    /// <summary>CR4 bits the VMM owns: 2.6.20's KVM_GUEST_CR4_MASK (PSE PAE PGE VMXE VME).</summary>
    public const ulong Cr4HostOwned = Cr4.PSE | Cr4.PAE | Cr4.PGE | Cr4.VMXE | Cr4.VME;

    ulong GuestCr0 => Read(VmcsField.Cr0ReadShadow);
    ulong GuestCr4 => Read(VmcsField.Cr4ReadShadow);

    internal static bool HandleCrAccess(VmxFrontEnd v)
    {
        var cpu = v._cpu;
        ulong q = v.Read(VmcsField.ExitQualification);
        int cr = (int)(q & 15);
        int type = (int)(q >> 4) & 3;
        int gpr = (int)(q >> 8) & 15;
        bool ok = true;
        switch (type)
        {
            case ExitQualification.MovToCr:
            {
                ulong value = cpu.Is64BitMode ? v.Gpr(gpr) : (uint)v.Gpr(gpr);
                v.Tracer?.Cr(true, cr, value);
                ok = cr switch
                {
                    0 => v.SetCr0(value),
                    3 => v.SetCr3(value),
                    4 => v.SetCr4(value),
                    8 => (value >> 4) == 0 && Assign(ref cpu.Cr8, value),
                    _ => false,
                };
                break;
            }
            case ExitQualification.MovFromCr:
            {
                ulong value = cr == 3 ? v.Read(VmcsField.GuestCr3) : cpu.Cr8;
                v.SetGpr(gpr, cpu.Is64BitMode ? value : (uint)value);
                v.Tracer?.Cr(false, cr, value);
                break;
            }
            case ExitQualification.Clts:
                v.Tracer?.Cr(true, 0, v.GuestCr0 & ~Cr0.TS);
                ok = v.SetCr0(v.GuestCr0 & ~Cr0.TS);
                break;
            default: // LMSW: the low four bits of the source; it can set PE but not clear it
            {
                ulong source = (q >> 16) & 0xF;
                ulong cr0 = v.GuestCr0;
                v.Tracer?.Cr(true, 0, (cr0 & ~0xFul) | source);       // handle_cr's LMSW trace: the low four bits replaced
                ok = v.SetCr0((cr0 & ~0xEul) | (source & 0xF) | (cr0 & Cr0.PE));
                break;
            }
        }
        if (!ok) { v.InjectException(ExceptionVector.GeneralProtection, 0); return true; }
        v.SkipInstruction();
        return true;
    }

    static bool Assign(ref ulong target, ulong value) { target = value; return true; }

    /// <summary>set_cr0 + vmx_set_cr0: the MOV CR0 #GP rules (SDM vol.2), real-mode entry/exit, long mode, then GUEST_CR0 and the shadow.</summary>
    bool SetCr0(ulong value)
    {
        var cpu = _cpu;
        if ((value >> 32) != 0) return false;
        value = (value & Cr0.Defined) | Cr0.ET;
        if ((value & Cr0.PG) != 0 && (value & Cr0.PE) == 0) return false;
        if ((value & Cr0.NW) != 0 && (value & Cr0.CD) == 0) return false;
        ulong old = GuestCr0;
        bool pagingOn = (old & Cr0.PG) == 0 && (value & Cr0.PG) != 0;
        bool pagingOff = (old & Cr0.PG) != 0 && (value & Cr0.PG) == 0;
        if (pagingOn && (cpu.Efer & Efer.LME) != 0)
        {
            if ((GuestCr4 & Cr4.PAE) == 0 || (Read(VmcsField.GuestCsAccessRights) & JitVirt.Cpu.State.SegmentRegister.LongMode) != 0) return false;
            SetEntryIa32e(true);                                            // enter_lmode
        }
        if (pagingOff)
        {
            if ((cpu.Efer & Efer.LMA) != 0 && (Read(VmcsField.GuestCsAccessRights) & JitVirt.Cpu.State.SegmentRegister.LongMode) != 0) return false;
            SetEntryIa32e(false);                                           // exit_lmode
        }
        if (_rmode && (value & Cr0.PE) != 0) LeaveRealMode();
        if (!_rmode && (value & Cr0.PE) == 0) EnterRealMode();
        Write(VmcsField.Cr0ReadShadow, value);
        Write(VmcsField.GuestCr0, value | VmxCapabilities.Cr0Fixed0);
        if (((old ^ value) & (Cr0.PG | Cr0.WP | Cr0.PE)) != 0) FlushGuestTranslations();
        return true;
    }

    /// <summary>set_cr3: long-mode reserved bits are #GP; the new root goes into GUEST_CR3 and the guest's non-global translations go.</summary>
    bool SetCr3(ulong value)
    {
        if ((_cpu.Efer & Efer.LMA) != 0) { if ((value >> JitVirt.Cpu.Platform.CpuidModel.PhysicalAddressBits) != 0) return false; }
        else value &= 0xFFFF_FFFF;
        Write(VmcsField.GuestCr3, value);
        FlushGuestTranslations(InvvpidType.SingleContextRetainingGlobals);
        return true;
    }

    /// <summary>set_cr4 + vmx_set_cr4: bits the guest's CPUID does not advertise are #GP; VMXE (and VME in real mode) stay set in the real CR4.</summary>
    bool SetCr4(ulong value)
    {
        if ((value & ~_cpu.Cr4Writable) != 0) return false;
        if ((_cpu.Efer & Efer.LMA) != 0 && (value & Cr4.PAE) == 0) return false;
        ulong old = GuestCr4;
        Write(VmcsField.Cr4ReadShadow, value);
        Write(VmcsField.GuestCr4, RealCr4(value));
        if (((old ^ value) & (Cr4.PGE | Cr4.PSE | Cr4.PAE)) != 0) FlushGuestTranslations();
        return true;
    }

    ulong RealCr4(ulong guest) => guest | VmxCapabilities.Cr4Fixed0 | (_rmode ? Cr4.VME : 0);

    /// <summary>
    /// vmx_flush_tlb: with VPID an INVVPID of the guest's context; without it the next VM entry flushes
    /// everything anyway (SDM vol.3C §29.4.3.1), so nothing is needed.
    /// </summary>
    void FlushGuestTranslations(InvvpidType type = InvvpidType.SingleContext)
    {
        if (UseVpid) _hw.Invvpid(type, Vpid, 0);
    }
}
