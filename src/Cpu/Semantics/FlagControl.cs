using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;

namespace JitVirt.Cpu.Semantics;

/// <summary>
/// CLI and STI with the IOPL/CPL, protected-mode virtual interrupt (CR4.PVI) and virtual-8086
/// (CR4.VME) rules of the SDM's CLI and STI operations. The arithmetic flag instructions
/// (CLC/STC/CMC/CLD/STD/LAHF/SAHF) belong to the integer family.
/// </summary>
public static unsafe class FlagControl
{
    public static void Register()
    {
        HandlerTable.Set(Code.Cli, &Cli);
        HandlerTable.Set(Code.Sti, &Sti);
    }

    /// <summary>Which flag CLI/STI may change: IF, VIF, or none (#GP(0)).</summary>
    static ulong InterruptFlagToChange(Cpu cpu, bool setting)
    {
        if (!cpu.IsProtectedMode) return Rflags.IF;
        bool vipClear = !setting || (cpu.RflagsStatic & Rflags.VIP) == 0;
        if (cpu.IsV86Mode)
        {
            if (cpu.Iopl == 3) return Rflags.IF;
            return (cpu.Cr4 & State.Cr4.VME) != 0 && vipClear ? Rflags.VIF : 0;
        }
        if (cpu.Iopl >= cpu.Cpl) return Rflags.IF;
        return cpu.Cpl == 3 && (cpu.Cr4 & State.Cr4.PVI) != 0 && vipClear ? Rflags.VIF : 0;
    }

    public static void Cli(Cpu cpu, in Instruction i)
    {
        ulong flag = InterruptFlagToChange(cpu, false);
        if (flag == 0) { cpu.RaiseGeneralProtection(0); return; }
        cpu.RflagsStatic &= ~flag;
        cpu.Pending |= PendingEvent.InterruptCheck;
    }

    /// <summary>STI: setting IF from 0 blocks interrupts until after the next instruction (SDM vol.3 §7.8.3).</summary>
    public static void Sti(Cpu cpu, in Instruction i)
    {
        ulong flag = InterruptFlagToChange(cpu, true);
        if (flag == 0) { cpu.RaiseGeneralProtection(0); return; }
        if (flag == Rflags.IF && !cpu.InterruptFlag) cpu.InterruptShadow = true;
        cpu.RflagsStatic |= flag;
        cpu.Pending |= PendingEvent.InterruptCheck;
    }
}
