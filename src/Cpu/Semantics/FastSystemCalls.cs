using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Platform;
using JitVirt.Cpu.State;
using static JitVirt.Cpu.State.Gpr;

namespace JitVirt.Cpu.Semantics;

/// <summary>
/// SYSCALL/SYSRET and SYSENTER/SYSEXIT (SDM vol.2; vol.3 §5.8.7–5.8.8; APM vol.2 §6.1.1, vol.3).
/// None reads a descriptor: CS and SS get fixed flat caches and selectors derived from the
/// MSRs. The vendor rules follow <see cref="CpuidModel.Vendor"/>: Intel allows SYSCALL/SYSRET
/// only in 64-bit mode and SYSENTER/SYSEXIT in every protected mode; AMD allows SYSCALL/SYSRET
/// in legacy and compatibility mode too (CSTAR) and makes SYSENTER/SYSEXIT #UD in long mode.
/// </summary>
static unsafe class FastSystemCalls
{
    public static void Register()
    {
        HandlerTable.Set(Code.Syscall, &Syscall);
        HandlerTable.Set(Code.Sysretd, &Sysret);
        HandlerTable.Set(Code.Sysretq, &Sysret);
        HandlerTable.Set(Code.Sysenter, &Sysenter);
        HandlerTable.Set(Code.Sysexitd, &Sysexit);
        HandlerTable.Set(Code.Sysexitq, &Sysexit);
    }

    // Flat 4 GiB segment caches (type, S, DPL, P, L or D/B, G in the access-rights layout).
    const uint Code64 = 0xA09B, Code32 = 0xC09B, Data = 0xC093, Dpl3 = 3u << SegmentRegister.DplShift;

    static SegmentRegister Flat(ushort selector, uint accessRights)
        => new() { Selector = selector, Base = 0, Limit = 0xFFFF_FFFF, AccessRights = accessRights };

    static void LoadFlatCsSs(Cpu cpu, ushort cs, uint csRights, ushort ss, uint ssRights)
    {
        cpu.Segments[SegmentIndex.Cs] = Flat(cs, csRights);
        cpu.Segments[SegmentIndex.Ss] = Flat(ss, ssRights);
        cpu.UpdateMode();
    }

    static bool IsIntel(Cpu cpu) => cpu.Cpuid.Vendor == CpuVendor.Intel;

    /// <summary>
    /// SYSCALL: #UD unless EFER.SCE (and, on Intel, 64-bit mode). Long mode: RCX ← next RIP,
    /// R11 ← RFLAGS (RF clear), RFLAGS &amp;= ~IA32_FMASK, RIP ← LSTAR (CSTAR from compatibility
    /// mode), CS ← STAR[47:32] (64-bit, DPL 0), SS ← STAR[47:32] + 8. Legacy mode (AMD): ECX ← next
    /// EIP, EIP ← STAR[31:0], VM/IF/RF cleared.
    /// </summary>
    static void Syscall(Cpu cpu, in Instruction i)
    {
        bool longMode = cpu.IsLongModeActive;
        if ((cpu.Efer & State.Efer.SCE) == 0 || cpu.IsRealMode || cpu.IsV86Mode) { cpu.RaiseInvalidOpcode(); return; }
        if (IsIntel(cpu) && !cpu.Is64BitMode) { cpu.RaiseInvalidOpcode(); return; }
        var m = cpu.Msrs;
        ushort cs = (ushort)((m.Star >> 32) & 0xFFFC);
        ushort ss = (ushort)((m.Star >> 32) + 8);
        ulong flags = cpu.GetRflags();
        if (longMode)
        {
            cpu.Gpr[Rcx] = cpu.NextRip;
            cpu.Gpr[R11] = flags & ~Rflags.RF;
            ulong target = cpu.Is64BitMode ? m.Lstar : m.Cstar;
            cpu.SetRflags(flags & ~m.Sfmask & ~Rflags.RF);
            LoadFlatCsSs(cpu, cs, Code64, ss, Data);
            cpu.NextRip = target;
        }
        else
        {
            cpu.Gpr[Rcx] = (uint)cpu.NextRip;
            cpu.SetRflags(flags & ~(Rflags.VM | Rflags.IF | Rflags.RF));
            LoadFlatCsSs(cpu, cs, Code32, ss, Data);
            cpu.NextRip = (uint)m.Star;
        }
    }

    /// <summary>
    /// SYSRET: #UD unless EFER.SCE (and, on Intel, 64-bit mode); CPL ≠ 0 → #GP(0); REX.W with a
    /// non-canonical RCX → #GP(0). 64-bit return: CS ← STAR[63:48] + 16, RIP ← RCX; 32-bit return:
    /// CS ← STAR[63:48], RIP ← ECX; SS ← STAR[63:48] + 8; RPL 3; RFLAGS ← R11 &amp; 3C7FD7H | 2.
    /// Legacy mode (AMD): EIP ← ECX and IF ← 1.
    /// </summary>
    static void Sysret(Cpu cpu, in Instruction i)
    {
        if ((cpu.Efer & State.Efer.SCE) == 0 || cpu.IsRealMode || cpu.IsV86Mode) { cpu.RaiseInvalidOpcode(); return; }
        if (IsIntel(cpu) && !cpu.Is64BitMode) { cpu.RaiseInvalidOpcode(); return; }
        if (cpu.Cpl != 0) { cpu.RaiseGeneralProtection(0); return; }
        bool to64 = i.Code == Code.Sysretq;
        ulong rcx = cpu.Gpr[Rcx];
        if (to64 && !Cpu.IsCanonical(rcx)) { cpu.RaiseGeneralProtection(0); return; }
        var m = cpu.Msrs;
        ushort userBase = (ushort)(m.Star >> 48);
        ushort ss = (ushort)((userBase + 8) | 3);
        if (cpu.IsLongModeActive)
        {
            cpu.SetRflags((cpu.Gpr[R11] & 0x3C_7FD7) | Rflags.Reserved1);
            if (to64) LoadFlatCsSs(cpu, (ushort)((userBase + 16) | 3), Code64 | Dpl3, ss, Data | Dpl3);
            else LoadFlatCsSs(cpu, (ushort)(userBase | 3), Code32 | Dpl3, ss, Data | Dpl3);
            cpu.NextRip = to64 ? rcx : (uint)rcx;
        }
        else
        {
            cpu.SetRflags(cpu.GetRflags() | Rflags.IF);
            LoadFlatCsSs(cpu, (ushort)(userBase | 3), Code32 | Dpl3, ss, Data | Dpl3);
            cpu.NextRip = (uint)rcx;
        }
    }

    /// <summary>
    /// SYSENTER: real mode or SYSENTER_CS[15:2] = 0 → #GP(0); VM, IF, RF cleared; CS ←
    /// SYSENTER_CS (64-bit code in IA-32e mode, else 32-bit), SS ← SYSENTER_CS + 8, RSP ←
    /// SYSENTER_ESP, RIP ← SYSENTER_EIP (32 bits outside IA-32e mode). AMD: #UD in long mode.
    /// </summary>
    static void Sysenter(Cpu cpu, in Instruction i)
    {
        var m = cpu.Msrs;
        if (!IsIntel(cpu) && cpu.IsLongModeActive) { cpu.RaiseInvalidOpcode(); return; }
        if (cpu.IsRealMode || (m.SysenterCs & 0xFFFC) == 0) { cpu.RaiseGeneralProtection(0); return; }
        bool longMode = cpu.IsLongModeActive;
        ushort cs = (ushort)(m.SysenterCs & 0xFFFC);
        cpu.SetRflags(cpu.GetRflags() & ~(Rflags.VM | Rflags.IF | Rflags.RF));
        LoadFlatCsSs(cpu, cs, longMode ? Code64 : Code32, (ushort)(cs + 8), Data);
        cpu.Gpr[Rsp] = longMode ? m.SysenterEsp : (uint)m.SysenterEsp;
        cpu.NextRip = longMode ? m.SysenterEip : (uint)m.SysenterEip;
    }

    /// <summary>
    /// SYSEXIT: SYSENTER_CS[15:2] = 0, real mode or CPL ≠ 0 → #GP(0). REX.W: CS ← SYSENTER_CS +
    /// 32, SS ← +40, RSP ← RCX, RIP ← RDX (both canonical, else #GP(0)); otherwise CS ← +16 (32-bit),
    /// SS ← +24, ESP ← ECX, EIP ← EDX. RPL 3. AMD: #UD in long mode.
    /// </summary>
    static void Sysexit(Cpu cpu, in Instruction i)
    {
        var m = cpu.Msrs;
        if (!IsIntel(cpu) && cpu.IsLongModeActive) { cpu.RaiseInvalidOpcode(); return; }
        if (cpu.IsRealMode || (m.SysenterCs & 0xFFFC) == 0 || cpu.Cpl != 0) { cpu.RaiseGeneralProtection(0); return; }
        ushort baseSel = (ushort)m.SysenterCs;
        if (i.Code == Code.Sysexitq)
        {
            ulong rcx = cpu.Gpr[Rcx], rdx = cpu.Gpr[Rdx];
            if (!Cpu.IsCanonical(rcx) || !Cpu.IsCanonical(rdx)) { cpu.RaiseGeneralProtection(0); return; }
            LoadFlatCsSs(cpu, (ushort)((baseSel + 32) | 3), Code64 | Dpl3, (ushort)((baseSel + 40) | 3), Data | Dpl3);
            cpu.Gpr[Rsp] = rcx;
            cpu.NextRip = rdx;
        }
        else
        {
            LoadFlatCsSs(cpu, (ushort)((baseSel + 16) | 3), Code32 | Dpl3, (ushort)((baseSel + 24) | 3), Data | Dpl3);
            cpu.Gpr[Rsp] = (uint)cpu.Gpr[Rcx];
            cpu.NextRip = (uint)cpu.Gpr[Rdx];
        }
    }
}
