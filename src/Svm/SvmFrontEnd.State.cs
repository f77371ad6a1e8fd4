using System.Runtime.CompilerServices;
using JitVirt.Cpu.State;
using C = JitVirt.Svm.VmcbControlArea;
using S = JitVirt.Svm.VmcbSaveStateArea;

namespace JitVirt.Svm;

/// <summary>
/// Moving guest state between the processor and the VMCB: what #VMEXIT stores and VMRUN loads
/// (AMD APM vol.2 §15.5 and §15.6), plus what 2.6.20's svm_vcpu_run did around VMRUN by hand
/// (the general registers outside the VMCB, VMLOAD/VMSAVE's FS/GS/TR/LDTR and system MSRs,
/// DR0–DR3 when DR7 enables them). The hot part (RAX, RSP, RIP, RFLAGS, the interrupt shadow,
/// V_TPR and the other GPRs) moves on every exit; the cold part is deferred (see <see cref="Vmcb"/>).
/// </summary>
public sealed partial class SvmFrontEnd
{
    /// <summary>RFLAGS as stored by the last #VMEXIT: VMRUN reloads RFLAGS only if a handler changed it.</summary>
    ulong _savedRflags;

    /// <summary>
    /// The guest's own EFER.SVME. VMRUN requires EFER.SVME = 1 in the VMCB (APM vol.2 §15.5.1), so the
    /// VMCB's EFER always has it and the guest-visible value is kept aside, as 2.6.20's shadow_efer did.
    /// </summary>
    ulong _guestSvme;

    /// <summary>#VMEXIT's store of the whole state (no deferral): after a reset, when leaving to the machine.</summary>
    void SaveGuestState(ulong rip)
    {
        Vmcb.CancelDeferredSave();
        SaveHot(rip);
        SaveCold(Vmcb);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void SaveHot(ulong rip)
    {
        var cpu = _cpu;
        var v = Vmcb;
        var gpr = cpu.Gpr;
        v.Hot64(S.Rax, gpr[Gpr.Rax]);
        v.Hot64(S.Rsp, gpr[Gpr.Rsp]);
        v.Hot64(S.Rip, rip);
        ulong rflags = cpu.GetRflags();
        _savedRflags = rflags;
        v.Hot64(S.Rflags, rflags);
        v.Hot32(C.IntState, cpu.InterruptShadow ? C.InterruptShadow : 0);
        // V_TPR mirrors CR8 (APM vol.2 §15.21.2, V_INTR_MASKING).
        v.Hot32(C.IntCtl, (v.Hot32(C.IntCtl) & ~C.VTprMask) | ((uint)cpu.Cr8 & C.VTprMask));
        // The other GPRs stay where they are: Regs is the processor's register file.
    }

    /// <summary>The cold part of the state-save area, with VMSAVE's share (FS, GS, TR, LDTR, the syscall MSRs).</summary>
    void SaveCold(Vmcb v)
    {
        var cpu = _cpu;
        var seg = cpu.Segments;
        for (int s = 0; s < SegmentIndex.Count; s++) v.WriteSegment(S.Segment(s), seg[s]);
        v.WriteSegment(S.Ldtr, cpu.Ldtr);
        v.WriteSegment(S.Tr, cpu.Tr);
        v.WriteTable(S.Gdtr, cpu.Gdtr);
        v.WriteTable(S.Idtr, cpu.Idtr);
        v.Cpl = (byte)cpu.Cpl;
        _guestSvme = cpu.Efer & Efer.SVME;
        v.Efer = cpu.Efer | Efer.SVME;
        v.Cr0 = cpu.Cr0;
        v.Cr2 = cpu.Cr2;
        v.Cr3 = cpu.Cr3;
        v.Cr4 = cpu.Cr4;
        v.Dr6 = cpu.Dr[6];
        v.Dr7 = cpu.Dr[7];
        var m = cpu.Msrs;
        v.Star = m.Star;
        v.Lstar = m.Lstar;
        v.Cstar = m.Cstar;
        v.Sfmask = m.Sfmask;
        v.KernelGsBase = m.KernelGsBase;
        v.SysenterCs = m.SysenterCs;
        v.SysenterEsp = m.SysenterEsp;
        v.SysenterEip = m.SysenterEip;
        v.GPat = m.Pat;
    }

    /// <summary>#VMEXIT handled in place: the hot part now, the cold part when first needed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void SaveForExit(ulong rip)
    {
        SaveHot(rip);
        Vmcb.DeferColdSave(_saveCold ??= SaveCold);
    }

    Action<Vmcb>? _saveCold;

    /// <summary>VMRUN's load: the hot part always, the cold part when it was written (or <paramref name="full"/>).</summary>
    void LoadGuestState(bool full)
    {
        var cpu = _cpu;
        var v = Vmcb;
        // A deferred save means the processor still holds the cold state: a full load completes the
        // VMCB first (it must stay whole), an ordinary VMRUN just drops the deferral.
        if (full) v.CompleteDeferredSave();
        else v.CancelDeferredSave();
        bool cold = full || v.ColdDirty;
        if (cold) LoadCold(v);
        cpu.Gpr[Gpr.Rax] = v.Hot64(S.Rax);
        cpu.Gpr[Gpr.Rsp] = v.Hot64(S.Rsp);
        cpu.Rip = v.Hot64(S.Rip);
        ulong rflags = v.Hot64(S.Rflags);
        if (cold || rflags != _savedRflags) cpu.SetRflags(rflags);
        cpu.InterruptShadow = (v.Hot32(C.IntState) & C.InterruptShadow) != 0;
        cpu.Cr8 = v.Hot32(C.IntCtl) & C.VTprMask;
        if (cold) cpu.UpdateMode();
    }

    void LoadCold(Vmcb v)
    {
        var cpu = _cpu;
        var seg = cpu.Segments;
        for (int s = 0; s < SegmentIndex.Count; s++) seg[s] = v.ReadSegment(S.Segment(s));
        cpu.Ldtr = v.ReadSegment(S.Ldtr);
        cpu.Tr = v.ReadSegment(S.Tr);
        cpu.Gdtr = v.ReadTable(S.Gdtr);
        cpu.Idtr = v.ReadTable(S.Idtr);
        // CPL: the executor derives it from CS (and CR0.PE, RFLAGS.VM) in UpdateMode; for every state
        // a guest can reach that equals the VMCB's CPL byte (APM vol.2 §15.5.1 loads it from 0x4CB).
        cpu.Efer = (v.Efer & ~Efer.SVME) | _guestSvme;
        cpu.Cr0 = v.Cr0;
        cpu.Cr2 = v.Cr2;
        cpu.Cr3 = v.Cr3;
        cpu.Cr4 = v.Cr4;
        cpu.Dr[6] = v.Dr6;
        ulong dr7 = v.Dr7;
        cpu.Dr[7] = dr7;
        LoadBreakpointAddresses(dr7);
        var m = cpu.Msrs;
        m.Star = v.Star;
        m.Lstar = v.Lstar;
        m.Cstar = v.Cstar;
        m.Sfmask = v.Sfmask;
        m.KernelGsBase = v.KernelGsBase;
        m.SysenterCs = v.SysenterCs;
        m.SysenterEsp = v.SysenterEsp;
        m.SysenterEip = v.SysenterEip;
        m.Pat = v.GPat;
        v.ColdDirty = false;
    }

    /// <summary>
    /// 2.6.20 svm_vcpu_run step 4: the guest's DR0–DR3 go into the hardware only when DR7[7:0]
    /// enables a breakpoint; otherwise the hardware keeps the host's (zero here). Guest reads and
    /// writes of DR0–DR3 are intercepted and served from <see cref="DebugRegisters"/>.
    /// </summary>
    void LoadBreakpointAddresses(ulong dr7)
    {
        var dr = _cpu.Dr;
        if ((dr7 & 0xFF) != 0) { dr[0] = DebugRegisters[0]; dr[1] = DebugRegisters[1]; dr[2] = DebugRegisters[2]; dr[3] = DebugRegisters[3]; }
        else { dr[0] = dr[1] = dr[2] = dr[3] = 0; }
    }

    // ------------------------------------------------------------------ GPRs for the handlers

    /// <summary>A guest general register as the handlers see it: RAX and RSP in the VMCB, the others in <see cref="Regs"/>.</summary>
    public ulong ReadGpr(int reg) => reg switch
    {
        Gpr.Rax => Vmcb.Rax,
        Gpr.Rsp => Vmcb.Rsp,
        _ => Regs[reg],
    };

    public void WriteGpr(int reg, ulong value)
    {
        switch (reg)
        {
            case Gpr.Rax: Vmcb.Rax = value; break;
            case Gpr.Rsp: Vmcb.Rsp = value; break;
            default: Regs[reg] = value; break;
        }
    }
}
