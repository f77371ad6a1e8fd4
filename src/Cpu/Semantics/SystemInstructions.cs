using Iced.Intel;
using Reg = Iced.Intel.Register;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;
using static JitVirt.Cpu.State.Gpr;

namespace JitVirt.Cpu.Semantics;

/// <summary>
/// Privileged and system instructions (SDM vol.2; vol.3 ch.2): MOV CRn/DRn, LGDT/LIDT/SGDT/SIDT,
/// LMSW/SMSW/CLTS, INVLPG/INVD/WBINVD, RDTSC/RDTSCP/RDPMC, CPUID, RDMSR/WRMSR, SWAPGS.
/// The register-level rules live on <see cref="Cpu"/> (<c>System/Cpu.ControlRegisters.cs</c>).
/// </summary>
static unsafe class SystemInstructions
{
    public static void Register()
    {
        HandlerTable.Set(Code.Mov_r32_cr, &MovFromCr);
        HandlerTable.Set(Code.Mov_r64_cr, &MovFromCr);
        HandlerTable.Set(Code.Mov_cr_r32, &MovToCr);
        HandlerTable.Set(Code.Mov_cr_r64, &MovToCr);
        HandlerTable.Set(Code.Mov_r32_dr, &MovFromDr);
        HandlerTable.Set(Code.Mov_r64_dr, &MovFromDr);
        HandlerTable.Set(Code.Mov_dr_r32, &MovToDr);
        HandlerTable.Set(Code.Mov_dr_r64, &MovToDr);
        HandlerTable.Set(Code.Lgdt_m1632_16, &Lgdt);
        HandlerTable.Set(Code.Lgdt_m1632, &Lgdt);
        HandlerTable.Set(Code.Lgdt_m1664, &Lgdt);
        HandlerTable.Set(Code.Lidt_m1632_16, &Lidt);
        HandlerTable.Set(Code.Lidt_m1632, &Lidt);
        HandlerTable.Set(Code.Lidt_m1664, &Lidt);
        HandlerTable.Set(Code.Sgdt_m1632_16, &Sgdt);
        HandlerTable.Set(Code.Sgdt_m1632, &Sgdt);
        HandlerTable.Set(Code.Sgdt_m1664, &Sgdt);
        HandlerTable.Set(Code.Sidt_m1632_16, &Sidt);
        HandlerTable.Set(Code.Sidt_m1632, &Sidt);
        HandlerTable.Set(Code.Sidt_m1664, &Sidt);
        HandlerTable.Set(Code.Lmsw_rm16, &Lmsw);
        HandlerTable.Set(Code.Lmsw_r32m16, &Lmsw);
        HandlerTable.Set(Code.Lmsw_r64m16, &Lmsw);
        HandlerTable.Set(Code.Smsw_rm16, &Smsw);
        HandlerTable.Set(Code.Smsw_r32m16, &Smsw);
        HandlerTable.Set(Code.Smsw_r64m16, &Smsw);
        HandlerTable.Set(Code.Clts, &Clts);
        HandlerTable.Set(Code.Invlpg_m, &Invlpg);
        HandlerTable.Set(Code.Invd, &CacheInvalidate);
        HandlerTable.Set(Code.Wbinvd, &CacheInvalidate);
        HandlerTable.Set(Code.Rdtsc, &Rdtsc);
        HandlerTable.Set(Code.Rdtscp, &Rdtscp);
        HandlerTable.Set(Code.Rdpmc, &Rdpmc);
        HandlerTable.Set(Code.Cpuid, &Cpuid);
        HandlerTable.Set(Code.Rdmsr, &Rdmsr);
        HandlerTable.Set(Code.Wrmsr, &Wrmsr);
        HandlerTable.Set(Code.Swapgs, &Swapgs);
    }

    /// <summary>CPL 0 required (V86 has CPL 3): #GP(0) otherwise.</summary>
    static bool RequireCpl0(Cpu cpu)
    {
        if (cpu.Cpl == 0) return true;
        cpu.RaiseGeneralProtection(0);
        return false;
    }

    static void WriteResult(Cpu cpu, Reg reg, ulong value)
    {
        if (reg.GetSize() == 8) cpu.WriteRegister(reg, value);
        else cpu.WriteRegister(reg, (uint)value);
    }

    // ------------------------------------------------------------------ MOV CRn

    /// <summary>MOV r, CRn (SDM vol.2): CPL 0; CR1, CR5–7, CR9–15 → #UD.</summary>
    static void MovFromCr(Cpu cpu, in Instruction i)
    {
        ulong v;
        switch (i.Op1Register)
        {
            case Reg.CR0: v = cpu.Cr0; break;
            case Reg.CR2: v = cpu.Cr2; break;
            case Reg.CR3: v = cpu.Cr3; break;
            case Reg.CR4: v = cpu.Cr4; break;
            case Reg.CR8: v = cpu.Cr8; break;
            default: cpu.RaiseInvalidOpcode(); return;
        }
        if (!RequireCpl0(cpu)) return;
        WriteResult(cpu, i.Op0Register, v);
    }

    static void MovToCr(Cpu cpu, in Instruction i)
    {
        var cr = i.Op0Register;
        if (cr is not (Reg.CR0 or Reg.CR2 or Reg.CR3 or Reg.CR4 or Reg.CR8)) { cpu.RaiseInvalidOpcode(); return; }
        if (!RequireCpl0(cpu)) return;
        ulong v = cpu.ReadRegisterZx(i.Op1Register);
        switch (cr)
        {
            case Reg.CR0: cpu.TryWriteCr0(v); break;
            case Reg.CR2: cpu.Cr2 = v; break;
            case Reg.CR3: cpu.TryWriteCr3(v); break;
            case Reg.CR4: cpu.TryWriteCr4(v); break;
            default: cpu.TryWriteCr8(v); break;
        }
    }

    // ------------------------------------------------------------------ MOV DRn

    static void MovFromDr(Cpu cpu, in Instruction i)
    {
        int dr = i.Op1Register - Reg.DR0;
        if (dr > 7) { cpu.RaiseInvalidOpcode(); return; }
        if (!RequireCpl0(cpu)) return;
        dr = cpu.ResolveDebugRegisterAccess(dr);
        if (dr < 0) return;
        WriteResult(cpu, i.Op0Register, cpu.Dr[dr]);
    }

    static void MovToDr(Cpu cpu, in Instruction i)
    {
        int dr = i.Op0Register - Reg.DR0;
        if (dr > 7) { cpu.RaiseInvalidOpcode(); return; }
        if (!RequireCpl0(cpu)) return;
        dr = cpu.ResolveDebugRegisterAccess(dr);
        if (dr < 0) return;
        cpu.TryWriteDebugRegister(dr, cpu.ReadRegisterZx(i.Op1Register));
    }

    // ------------------------------------------------------------------ descriptor-table registers

    /// <summary>
    /// Reads the 6- or 10-byte pseudo-descriptor of LGDT/LIDT (SDM vol.2 LGDT): 16-bit operand
    /// size keeps 24 bits of base, 32-bit 32 bits, 64-bit mode 64 bits (must be canonical).
    /// </summary>
    static bool TryReadPseudoDescriptor(Cpu cpu, in Instruction i, out DescriptorTableRegister value)
    {
        value = default;
        if (!RequireCpl0(cpu)) return false;
        int seg = Cpu.MemorySegment(i);
        ulong ea = cpu.EffectiveAddress(i);
        ushort limit = cpu.Read<ushort>(seg, ea);
        if (cpu.Faulted) return false;
        ulong b;
        if (cpu.Is64BitMode)
        {
            b = cpu.Read<ulong>(seg, ea + 2);
            if (cpu.Faulted) return false;
            if (!Cpu.IsCanonical(b)) { cpu.RaiseGeneralProtection(0); return false; }
        }
        else
        {
            b = cpu.Read<uint>(seg, ea + 2);
            if (cpu.Faulted) return false;
            if (i.Code is Code.Lgdt_m1632_16 or Code.Lidt_m1632_16) b &= 0xFF_FFFF;
        }
        value = new DescriptorTableRegister { Base = b, Limit = limit };
        return true;
    }

    static void Lgdt(Cpu cpu, in Instruction i)
    {
        if (TryReadPseudoDescriptor(cpu, i, out var v)) cpu.Gdtr = v;
    }

    static void Lidt(Cpu cpu, in Instruction i)
    {
        if (TryReadPseudoDescriptor(cpu, i, out var v)) cpu.Idtr = v;
    }

    /// <summary>SGDT/SIDT (not privileged without UMIP): limit then base; 32-bit base outside 64-bit mode (SDM vol.2 SGDT).</summary>
    static void StorePseudoDescriptor(Cpu cpu, in Instruction i, in DescriptorTableRegister r)
    {
        int size = cpu.Is64BitMode ? 10 : 6;
        if (!cpu.TryResolveWritable(i, size, out ulong linear)) return;
        bool user = cpu.Cpl == 3;
        cpu.WriteLinear(linear, (ushort)r.Limit, user);
        if (cpu.Is64BitMode) cpu.WriteLinear(linear + 2, r.Base, user);
        else cpu.WriteLinear(linear + 2, (uint)r.Base, user);
    }

    static void Sgdt(Cpu cpu, in Instruction i) => StorePseudoDescriptor(cpu, i, cpu.Gdtr);
    static void Sidt(Cpu cpu, in Instruction i) => StorePseudoDescriptor(cpu, i, cpu.Idtr);

    // ------------------------------------------------------------------ machine status word

    /// <summary>LMSW (SDM vol.2): loads CR0 bits 3:0 (PE MP EM TS); PE can be set but not cleared.</summary>
    static void Lmsw(Cpu cpu, in Instruction i)
    {
        if (!RequireCpl0(cpu)) return;
        ulong src = i.Op0Kind == OpKind.Register ? cpu.ReadRegisterZx(i.Op0Register) & 0xFFFF : cpu.ReadOperand<ushort>(i, 0);
        if (cpu.Faulted) return;
        ulong v = (cpu.Cr0 & ~0xEul) | (src & 0xF);
        cpu.TryWriteCr0(v);
    }

    /// <summary>SMSW (SDM vol.2): memory gets CR0[15:0]; a 32/64-bit register gets CR0 at its width.</summary>
    static void Smsw(Cpu cpu, in Instruction i)
    {
        if (i.Op0Kind == OpKind.Register) cpu.WriteRegisterSized(i.Op0Register, cpu.Cr0);
        else cpu.WriteOperand(i, 0, (ushort)cpu.Cr0);
    }

    static void Clts(Cpu cpu, in Instruction i)
    {
        if (!RequireCpl0(cpu)) return;
        cpu.Cr0 &= ~State.Cr0.TS;
    }

    // ------------------------------------------------------------------ TLB and caches

    /// <summary>INVLPG (SDM vol.2): CPL 0; invalidates the page of the operand's linear address; never faults on it.</summary>
    static void Invlpg(Cpu cpu, in Instruction i)
    {
        if (!RequireCpl0(cpu)) return;
        int seg = Cpu.MemorySegment(i);
        ulong ea = cpu.EffectiveAddress(i);
        ulong linear;
        if (cpu.Is64BitMode) linear = seg >= SegmentIndex.Fs ? ea + cpu.Segments[seg].Base : ea;
        else linear = (ea + cpu.Segments[seg].Base) & 0xFFFF_FFFF;
        cpu.FlushTlbPage(linear);
    }

    /// <summary>INVD/WBINVD: CPL 0; there are no caches to write back.</summary>
    static void CacheInvalidate(Cpu cpu, in Instruction i) => RequireCpl0(cpu);

    // ------------------------------------------------------------------ counters

    /// <summary>RDTSC (SDM vol.2): CR4.TSD with CPL &gt; 0 → #GP(0); EDX:EAX ← TSC.</summary>
    static void Rdtsc(Cpu cpu, in Instruction i)
    {
        if ((cpu.Cr4 & State.Cr4.TSD) != 0 && cpu.Cpl != 0) { cpu.RaiseGeneralProtection(0); return; }
        ulong tsc = cpu.Msrs.Tsc;
        cpu.Gpr[Rax] = (uint)tsc;
        cpu.Gpr[Rdx] = tsc >> 32;
    }

    /// <summary>RDTSCP: as RDTSC, and ECX ← IA32_TSC_AUX[31:0].</summary>
    static void Rdtscp(Cpu cpu, in Instruction i)
    {
        if ((cpu.Cr4 & State.Cr4.TSD) != 0 && cpu.Cpl != 0) { cpu.RaiseGeneralProtection(0); return; }
        ulong tsc = cpu.Msrs.Tsc;
        cpu.Gpr[Rax] = (uint)tsc;
        cpu.Gpr[Rdx] = tsc >> 32;
        cpu.Gpr[Rcx] = (uint)cpu.Msrs.TscAux;
    }

    /// <summary>RDPMC: no performance counters are implemented, so every ECX is an invalid counter → #GP(0).</summary>
    static void Rdpmc(Cpu cpu, in Instruction i) => cpu.RaiseGeneralProtection(0);

    static void Cpuid(Cpu cpu, in Instruction i)
    {
        var r = cpu.Cpuid.Query((uint)cpu.Gpr[Rax], (uint)cpu.Gpr[Rcx], cpu.Is64BitMode);
        cpu.Gpr[Rax] = r.Eax;
        cpu.Gpr[Rbx] = r.Ebx;
        cpu.Gpr[Rcx] = r.Ecx;
        cpu.Gpr[Rdx] = r.Edx;
    }

    // ------------------------------------------------------------------ MSRs

    /// <summary>RDMSR (SDM vol.2): CPL 0 else #GP(0); an unimplemented index → #GP(0).</summary>
    static void Rdmsr(Cpu cpu, in Instruction i)
    {
        if (!RequireCpl0(cpu)) return;
        if (!cpu.Msrs.TryRead((uint)cpu.Gpr[Rcx], out ulong v)) { cpu.RaiseGeneralProtection(0); return; }
        cpu.Gpr[Rax] = (uint)v;
        cpu.Gpr[Rdx] = v >> 32;
    }

    /// <summary>WRMSR (SDM vol.2): CPL 0 else #GP(0); unknown index or refused value → #GP(0).</summary>
    static void Wrmsr(Cpu cpu, in Instruction i)
    {
        if (!RequireCpl0(cpu)) return;
        ulong v = (cpu.Gpr[Rdx] << 32) | (uint)cpu.Gpr[Rax];
        if (!cpu.Msrs.TryWrite((uint)cpu.Gpr[Rcx], v)) cpu.RaiseGeneralProtection(0);
    }

    /// <summary>SWAPGS (SDM vol.2): 64-bit mode only (#UD), CPL 0; exchanges GS.base and IA32_KERNEL_GS_BASE.</summary>
    static void Swapgs(Cpu cpu, in Instruction i)
    {
        if (!cpu.Is64BitMode) { cpu.RaiseInvalidOpcode(); return; }
        if (!RequireCpl0(cpu)) return;
        ref ulong gs = ref cpu.Segments[SegmentIndex.Gs].Base;
        (gs, cpu.Msrs.KernelGsBase) = (cpu.Msrs.KernelGsBase, gs);
    }
}
