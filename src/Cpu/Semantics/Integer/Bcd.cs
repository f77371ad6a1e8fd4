using JitVirt.Cpu.State;

namespace JitVirt.Cpu.Semantics.Integer;

/// <summary>
/// Decimal adjust instructions on AL/AX (SDM vol.2 DAA, DAS, AAA, AAS, AAM, AAD). They are #UD in
/// 64-bit mode; the caller checks that. Undefined flags are computed consistently: DAA/DAS OF as
/// the signed overflow of the whole adjustment, AAA/AAS SF ZF PF from AL and OF 0, AAM as a logic
/// result, AAD as the 8-bit addition it performs.
/// </summary>
public static class Bcd
{
    static byte Al(Cpu cpu) => (byte)cpu.Gpr[Gpr.Rax];
    static void SetAl(Cpu cpu, byte v) => cpu.Gpr[Gpr.Rax] = (cpu.Gpr[Gpr.Rax] & ~0xFFul) | v;
    static void SetAx(Cpu cpu, ushort v) => cpu.Gpr[Gpr.Rax] = (cpu.Gpr[Gpr.Rax] & ~0xFFFFul) | v;
    static bool Af(Cpu cpu) => (cpu.GetRflags() & Rflags.AF) != 0;

    public static void Daa(Cpu cpu)
    {
        byte oldAl = Al(cpu), al = oldAl;
        bool oldCf = cpu.GetCarryFlag(), af = Af(cpu), cf = false;
        if ((al & 0x0F) > 9 || af)
        {
            cf = oldCf || al > 0xFF - 6;
            al += 6;
            af = true;
        }
        else af = false;
        if (oldAl > 0x99 || oldCf) { al += 0x60; cf = true; }
        else cf = false;
        SetAl(cpu, al);
        bool of = (~oldAl & al & 0x80) != 0; // undefined: signed overflow of the net addition
        Alu.WriteFlags(cpu, Rflags.Arithmetic, Alu.SzpFlags(al, 8) | (cf ? Rflags.CF : 0) | (af ? Rflags.AF : 0) | (of ? Rflags.OF : 0));
    }

    public static void Das(Cpu cpu)
    {
        byte oldAl = Al(cpu), al = oldAl;
        bool oldCf = cpu.GetCarryFlag(), af = Af(cpu), cf = false;
        if ((al & 0x0F) > 9 || af)
        {
            cf = oldCf || al < 6;
            al -= 6;
            af = true;
        }
        else af = false;
        if (oldAl > 0x99 || oldCf) { al -= 0x60; cf = true; }
        SetAl(cpu, al);
        bool of = (oldAl & ~al & 0x80) != 0;
        Alu.WriteFlags(cpu, Rflags.Arithmetic, Alu.SzpFlags(al, 8) | (cf ? Rflags.CF : 0) | (af ? Rflags.AF : 0) | (of ? Rflags.OF : 0));
    }

    /// <summary>AAA: AX ← AX + 106H when the low nibble is above 9 or AF; AL keeps its low nibble; CF=AF.</summary>
    public static void Aaa(Cpu cpu)
    {
        ushort ax = (ushort)cpu.Gpr[Gpr.Rax];
        bool adjust = (ax & 0x0F) > 9 || Af(cpu);
        if (adjust) ax += 0x106;
        ax = (ushort)(ax & 0xFF0F);
        SetAx(cpu, ax);
        Alu.WriteFlags(cpu, Rflags.Arithmetic, Alu.SzpFlags((byte)ax, 8) | (adjust ? Rflags.CF | Rflags.AF : 0));
    }

    /// <summary>AAS: AX ← AX − 6 and AH ← AH − 1 when the low nibble is above 9 or AF; AL keeps its low nibble; CF=AF.</summary>
    public static void Aas(Cpu cpu)
    {
        ushort ax = (ushort)cpu.Gpr[Gpr.Rax];
        bool adjust = (ax & 0x0F) > 9 || Af(cpu);
        if (adjust) { ax -= 6; ax -= 0x100; }
        ax = (ushort)(ax & 0xFF0F);
        SetAx(cpu, ax);
        Alu.WriteFlags(cpu, Rflags.Arithmetic, Alu.SzpFlags((byte)ax, 8) | (adjust ? Rflags.CF | Rflags.AF : 0));
    }

    /// <summary>AAM imm8: AH ← AL / imm8, AL ← AL mod imm8; SF ZF PF from AL. An immediate of 0 raises #DE and returns false.</summary>
    public static bool Aam(Cpu cpu, byte imm)
    {
        if (imm == 0) { cpu.RaiseDivideError(); return false; }
        byte al = Al(cpu);
        byte q = (byte)(al / imm), r = (byte)(al % imm);
        SetAx(cpu, (ushort)((q << 8) | r));
        Alu.WriteFlags(cpu, Rflags.Arithmetic, Alu.SzpFlags(r, 8));
        return true;
    }

    /// <summary>AAD imm8: AL ← (AL + AH · imm8) AND FFH, AH ← 0; SF ZF PF from AL (the others as the 8-bit add).</summary>
    public static void Aad(Cpu cpu, byte imm)
    {
        ushort ax = (ushort)cpu.Gpr[Gpr.Rax];
        byte al = (byte)ax, product = (byte)((ax >> 8) * imm);
        byte r = (byte)(al + product);
        SetAx(cpu, r);
        cpu.SetFlagsAdd(al, product, r);
    }
}
