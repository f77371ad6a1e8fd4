using System.Numerics;
using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Semantics.Integer;
using JitVirt.Cpu.State;

namespace JitVirt.Cpu.Semantics;

/// <summary>CBW CWDE CDQE CWD CDQ CQO, MOVZX MOVSX MOVSXD, CMOVcc (SDM vol.2) and SALC.</summary>
static unsafe class Conversions
{
    public static void Register()
    {
        HandlerTable.Set(Code.Cbw, &SignExtendAccumulator<byte, ushort>);
        HandlerTable.Set(Code.Cwde, &SignExtendAccumulator<ushort, uint>);
        HandlerTable.Set(Code.Cdqe, &SignExtendAccumulator<uint, ulong>);
        HandlerTable.Set(Code.Cwd, &SignExtendIntoDx<ushort>);
        HandlerTable.Set(Code.Cdq, &SignExtendIntoDx<uint>);
        HandlerTable.Set(Code.Cqo, &SignExtendIntoDx<ulong>);
        HandlerTable.Set(Code.Salc, &Salc);

        foreach (var m in new[] { Mnemonic.Movzx, Mnemonic.Movsx, Mnemonic.Movsxd })
        {
            bool signed = m != Mnemonic.Movzx;
            foreach (var code in HandlerTable.FormsOf(m))
            {
                int dst = Forms.Width(code, 0), src = Forms.Width(code, 1);
                HandlerTable.Set(code, (dst, src, signed) switch
                {
                    (2, 1, false) => &Movzx<byte, ushort>,
                    (4, 1, false) => &Movzx<byte, uint>,
                    (8, 1, false) => &Movzx<byte, ulong>,
                    (2, 2, false) => &Movzx<ushort, ushort>,
                    (4, 2, false) => &Movzx<ushort, uint>,
                    (8, 2, false) => &Movzx<ushort, ulong>,
                    (2, 1, true) => &Movsx<byte, ushort>,
                    (4, 1, true) => &Movsx<byte, uint>,
                    (8, 1, true) => &Movsx<byte, ulong>,
                    (2, 2, true) => &Movsx<ushort, ushort>,
                    (4, 2, true) => &Movsx<ushort, uint>,
                    (8, 2, true) => &Movsx<ushort, ulong>,
                    (4, 4, true) => &Movsx<uint, uint>,   // MOVSXD r32, r/m32: a plain move (zero-extends in 64-bit mode)
                    (8, 4, true) => &Movsx<uint, ulong>,
                    _ => throw new InvalidOperationException($"{code}: unexpected widths {dst}/{src}"),
                });
            }
        }

        foreach (var m in CmovccMnemonics)
            foreach (var code in HandlerTable.FormsOf(m))
                HandlerTable.Set(code, Forms.ByWidth(Forms.Width(code, 0), &Cmovcc<byte>, &Cmovcc<ushort>, &Cmovcc<uint>, &Cmovcc<ulong>));
    }

    /// <summary>CMOVcc mnemonics in condition-code order (SDM vol.1 Table B-1).</summary>
    static readonly Mnemonic[] CmovccMnemonics =
    {
        Mnemonic.Cmovo, Mnemonic.Cmovno, Mnemonic.Cmovb, Mnemonic.Cmovae, Mnemonic.Cmove, Mnemonic.Cmovne, Mnemonic.Cmovbe, Mnemonic.Cmova,
        Mnemonic.Cmovs, Mnemonic.Cmovns, Mnemonic.Cmovp, Mnemonic.Cmovnp, Mnemonic.Cmovl, Mnemonic.Cmovge, Mnemonic.Cmovle, Mnemonic.Cmovg,
    };

    /// <summary>Zero-extends <paramref name="value"/> to the wider type (the IL tier's MOVZX).</summary>
    public static TTo ZeroExtend<TFrom, TTo>(TFrom value)
        where TFrom : unmanaged, IBinaryInteger<TFrom>, IUnsignedNumber<TFrom> where TTo : unmanaged, IBinaryInteger<TTo>, IUnsignedNumber<TTo>
        => TTo.CreateTruncating(value);

    /// <summary>Sign-extends <paramref name="value"/> to the wider type (MOVSX, MOVSXD, CBW and friends).</summary>
    public static TTo SignExtend<TFrom, TTo>(TFrom value)
        where TFrom : unmanaged, IBinaryInteger<TFrom>, IUnsignedNumber<TFrom> where TTo : unmanaged, IBinaryInteger<TTo>, IUnsignedNumber<TTo>
        => TTo.CreateTruncating((ulong)Alu.SignExtend(value));

    /// <summary>CBW/CWDE/CDQE: the accumulator's low half sign-extended into the whole of it.</summary>
    static void SignExtendAccumulator<TFrom, TTo>(Cpu cpu, in Instruction i)
        where TFrom : unmanaged, IBinaryInteger<TFrom>, IUnsignedNumber<TFrom> where TTo : unmanaged, IBinaryInteger<TTo>, IUnsignedNumber<TTo>
    {
        if (!Forms.CheckNoLock(cpu, i)) return;
        ImplicitRegs.Set(cpu, Gpr.Rax, SignExtend<TFrom, TTo>(ImplicitRegs.Get<TFrom>(cpu, Gpr.Rax)));
    }

    /// <summary>CWD/CDQ/CQO: rDX ← the sign of rAX repeated.</summary>
    static void SignExtendIntoDx<T>(Cpu cpu, in Instruction i) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        if (!Forms.CheckNoLock(cpu, i)) return;
        ImplicitRegs.Set(cpu, Gpr.Rdx, T.CreateTruncating((ulong)(Alu.SignExtend(ImplicitRegs.Get<T>(cpu, Gpr.Rax)) >> 63)));
    }

    static void Movzx<TFrom, TTo>(Cpu cpu, in Instruction i)
        where TFrom : unmanaged, IBinaryInteger<TFrom>, IUnsignedNumber<TFrom> where TTo : unmanaged, IBinaryInteger<TTo>, IUnsignedNumber<TTo>
    {
        if (!Forms.CheckNoLock(cpu, i)) return;
        TFrom v = cpu.ReadOperand<TFrom>(i, 1);
        if (cpu.Faulted) return;
        cpu.WriteRegister(i.Op0Register, ZeroExtend<TFrom, TTo>(v));
    }

    static void Movsx<TFrom, TTo>(Cpu cpu, in Instruction i)
        where TFrom : unmanaged, IBinaryInteger<TFrom>, IUnsignedNumber<TFrom> where TTo : unmanaged, IBinaryInteger<TTo>, IUnsignedNumber<TTo>
    {
        if (!Forms.CheckNoLock(cpu, i)) return;
        TFrom v = cpu.ReadOperand<TFrom>(i, 1);
        if (cpu.Faulted) return;
        cpu.WriteRegister(i.Op0Register, SignExtend<TFrom, TTo>(v));
    }

    /// <summary>
    /// CMOVcc reg, r/m: the source is read (and may fault) whatever the condition. A 32-bit
    /// destination is written in both cases, so in 64-bit mode its upper half is cleared even when
    /// the condition is false (SDM vol.2 CMOVcc; vol.1 §3.4.1.1).
    /// </summary>
    static void Cmovcc<T>(Cpu cpu, in Instruction i) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        if (!Forms.CheckNoLock(cpu, i)) return;
        T src = cpu.ReadOperand<T>(i, 1);
        if (cpu.Faulted) return;
        var dst = i.Op0Register;
        if (cpu.EvaluateCondition((int)i.ConditionCode - 1)) cpu.WriteRegister(dst, src);
        else if (sizeof(T) == 4) cpu.WriteRegister(dst, cpu.ReadRegister<T>(dst));
    }

    /// <summary>
    /// SALC (D6): AL ← CF ? FFh : 00h, flags unchanged. Undocumented in the SDM's opcode pages but
    /// implemented by every Intel and AMD processor outside 64-bit mode (AMD APM vol.3 Appendix A,
    /// opcode D6 "reserved"; Iced decodes it only in 16/32-bit code, so 64-bit code gets #UD).
    /// </summary>
    public static void Salc(Cpu cpu, in Instruction i)
    {
        ref ulong rax = ref cpu.Gpr[Gpr.Rax];
        rax = (rax & ~0xFFul) | (cpu.GetCarryFlag() ? 0xFFul : 0ul);
    }
}
