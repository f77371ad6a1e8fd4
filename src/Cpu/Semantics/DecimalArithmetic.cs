using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Semantics.Integer;

namespace JitVirt.Cpu.Semantics;

/// <summary>DAA DAS AAA AAS AAM AAD (SDM vol.2): #UD in 64-bit mode. The operations are in <see cref="Bcd"/>.</summary>
static unsafe class DecimalArithmetic
{
    public static void Register()
    {
        HandlerTable.Set(Code.Daa, &Daa);
        HandlerTable.Set(Code.Das, &Das);
        HandlerTable.Set(Code.Aaa, &Aaa);
        HandlerTable.Set(Code.Aas, &Aas);
        HandlerTable.Set(Code.Aam_imm8, &Aam);
        HandlerTable.Set(Code.Aad_imm8, &Aad);
    }

    static bool Valid(Cpu cpu, in Instruction i)
    {
        if (cpu.Is64BitMode || i.HasLockPrefix) { cpu.RaiseInvalidOpcode(); return false; }
        return true;
    }

    static void Daa(Cpu cpu, in Instruction i) { if (Valid(cpu, i)) Bcd.Daa(cpu); }
    static void Das(Cpu cpu, in Instruction i) { if (Valid(cpu, i)) Bcd.Das(cpu); }
    static void Aaa(Cpu cpu, in Instruction i) { if (Valid(cpu, i)) Bcd.Aaa(cpu); }
    static void Aas(Cpu cpu, in Instruction i) { if (Valid(cpu, i)) Bcd.Aas(cpu); }
    static void Aam(Cpu cpu, in Instruction i) { if (Valid(cpu, i)) Bcd.Aam(cpu, i.Immediate8); }
    static void Aad(Cpu cpu, in Instruction i) { if (Valid(cpu, i)) Bcd.Aad(cpu, i.Immediate8); }
}
