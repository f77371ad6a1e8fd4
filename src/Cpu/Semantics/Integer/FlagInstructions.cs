using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.State;

namespace JitVirt.Cpu.Semantics.Integer;

/// <summary>
/// CLC STC CMC CLD STD LAHF SAHF (SDM vol.2). LAHF/SAHF are allowed in 64-bit mode because
/// JitVirt advertises CPUID 80000001H:ECX.LAHF-SAHF[bit 0].
/// </summary>
public static unsafe class FlagInstructions
{
    internal static void Register()
    {
        HandlerTable.Set(Code.Clc, &Clc);
        HandlerTable.Set(Code.Stc, &Stc);
        HandlerTable.Set(Code.Cmc, &Cmc);
        HandlerTable.Set(Code.Cld, &Cld);
        HandlerTable.Set(Code.Std, &Std);
        HandlerTable.Set(Code.Lahf, &Lahf);
        HandlerTable.Set(Code.Sahf, &Sahf);
    }

    static void Clc(Cpu cpu, in Instruction i) { if (Forms.CheckNoLock(cpu, i)) SetCarry(cpu, false); }
    static void Stc(Cpu cpu, in Instruction i) { if (Forms.CheckNoLock(cpu, i)) SetCarry(cpu, true); }
    static void Cmc(Cpu cpu, in Instruction i) { if (Forms.CheckNoLock(cpu, i)) SetCarry(cpu, !cpu.GetCarryFlag()); }
    static void Cld(Cpu cpu, in Instruction i) { if (Forms.CheckNoLock(cpu, i)) cpu.RflagsStatic &= ~Rflags.DF; }
    static void Std(Cpu cpu, in Instruction i) { if (Forms.CheckNoLock(cpu, i)) cpu.RflagsStatic |= Rflags.DF; }

    static void Lahf(Cpu cpu, in Instruction i)
    {
        if (!Forms.CheckNoLock(cpu, i)) return;
        ref ulong rax = ref cpu.Gpr[Gpr.Rax];
        rax = (rax & ~0xFF00ul) | ((ulong)Lahf(cpu) << 8);
    }

    static void Sahf(Cpu cpu, in Instruction i)
    {
        if (!Forms.CheckNoLock(cpu, i)) return;
        Sahf(cpu, (byte)(cpu.Gpr[Gpr.Rax] >> 8));
    }

    /// <summary>CF ← <paramref name="value"/>; the other flags keep their values.</summary>
    public static void SetCarry(Cpu cpu, bool value) => Alu.WriteFlags(cpu, Rflags.CF, value ? Rflags.CF : 0);

    /// <summary>The LAHF byte: SF:ZF:0:AF:0:PF:1:CF.</summary>
    public static byte Lahf(Cpu cpu) => (byte)((cpu.GetRflags() & (Rflags.Arithmetic & ~Rflags.OF)) | Rflags.Reserved1);

    /// <summary>SAHF: SF ZF AF PF CF ← bits 7 6 4 2 0 of <paramref name="ah"/>; OF unchanged.</summary>
    public static void Sahf(Cpu cpu, byte ah) => Alu.WriteFlags(cpu, Rflags.Arithmetic & ~Rflags.OF, ah);
}
